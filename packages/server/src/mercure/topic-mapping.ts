import { TOPIC_LIMITS, validatePattern, validateTopic } from '@tidings/protocol';
import { sha256 } from '../core/node-builtins.js';
import type { StoredEvent } from '../core/stored-event.js';

/**
 * How Mercure topics live among the hub's own topics.
 *
 * A Mercure update is stored once, as an ordinary hub event, under the hub topic of its canonical
 * (first) topic; every Mercure topic (canonical and alternates) travels with it in
 * `meta.mercure.topics`, so matching and private-update authorization always see the real IRIs.
 *
 * The hub topic of a Mercure topic is the topic itself when it already is a valid hub topic
 * without "%" (`orders/42`): both faces then share it, and a native publish to `orders/42`
 * reaches Mercure subscribers of `orders/{id}`. Otherwise every `/`-separated segment is
 * percent-encoded where the hub grammar needs it (bytes outside printable ASCII, `%`, `*`, a
 * leading `$`; an empty segment becomes `%`, a `.` or `..` segment `%2E`, `%2E%2E`):
 * `https://example.com/books/1` is stored under `https:/%/example.com/books/1`. A result longer
 * than the hub's topic limits is replaced by `%h/<sha256>`. The mapping is injective: no two
 * Mercure topics share a hub topic.
 *
 * An update with alternate topics is stored under `%a/<hub topic of its canonical topic>` (see
 * {@link storageTopicOf}).
 */

/** First segment of the hub topics of Mercure topics too long for the hub grammar. */
export const HASHED_TOPIC_ROOT = '%h';

/**
 * First segment of the hub topics of updates with alternate topics. An update may reach a
 * subscriber through any of its topics; keeping those that have alternates under one root lets a
 * replay read the subscription's own hub topics plus this root, instead of all history.
 */
export const ALTERNATES_ROOT = '%a';

const HEX = '0123456789ABCDEF';

/** What hashes in this module, for the error of a runtime without node:crypto. */
const HASHING = 'Mapping a long Mercure topic to a hub topic';
const encoder = new TextEncoder();

function encodeSegment(seg: string, first: boolean): string {
  if (seg.length === 0) return '%';
  if (seg === '.') return '%2E';
  if (seg === '..') return '%2E%2E';
  let out = '';
  let plain = true;
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x25 || c === 0x2a || (first && i === 0 && c === 0x24)) {
      plain = false;
      break;
    }
  }
  if (plain) return seg;
  const bytes = encoder.encode(seg);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x21 || b > 0x7e || b === 0x25 || b === 0x2a || (first && i === 0 && b === 0x24)) {
      out += `%${HEX[b >> 4]}${HEX[b & 15]}`;
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

/** The hub topic that stores updates whose canonical topic is `topic`. */
export function hubTopicOf(topic: string): string {
  const segs = topic.split('/');
  let out = '';
  for (let i = 0; i < segs.length; i++)
    out += (i === 0 ? '' : '/') + encodeSegment(segs[i] as string, i === 0);
  if (
    out.length <= TOPIC_LIMITS.maxLength &&
    segs.length <= TOPIC_LIMITS.maxSegments &&
    !validateTopic(out)
  ) {
    return out;
  }
  return `${HASHED_TOPIC_ROOT}/${sha256(topic, 'base64url', HASHING)}`;
}

/** The hub topic an update with these Mercure topics (canonical first) is stored under. */
export function storageTopicOf(topics: readonly string[]): string {
  const canonical = hubTopicOf(topics[0] as string);
  if (topics.length === 1) return canonical;
  const under = `${ALTERNATES_ROOT}/${canonical}`;
  if (!validateTopic(under)) return under;
  return `${ALTERNATES_ROOT}/${HASHED_TOPIC_ROOT}/${sha256(topics[0] as string, 'base64url', HASHING)}`;
}

/**
 * The hub patterns (always valid ones) covering every hub topic that updates matched by
 * `selector` can be stored under, for presence and admin views and the truncation check (`*` → `**`; an exact topic → its hub topic; a template →
 * its literal leading segments followed by `**`, plus the hashed topics).
 */
export function hubScopeOf(selector: string, isTemplate: boolean): string[] {
  if (selector === '*') return ['**'];
  if (!isTemplate) return [hubTopicOf(selector)];
  const brace = selector.indexOf('{');
  const lastSlash = selector.lastIndexOf('/', brace);
  if (lastSlash <= 0) return ['**'];
  const lead = hubTopicOf(selector.slice(0, lastSlash));
  const under = `${lead}/**`;
  // A lead that had to be hashed, or that leaves no room for "/**", covers nothing narrower.
  if (lead.startsWith(`${HASHED_TOPIC_ROOT}/`) || validatePattern(under)) return ['**'];
  return [under, `${HASHED_TOPIC_ROOT}/**`];
}

/** What Mercure keeps with each update it stores (`EventMeta.mercure`). */
export interface MercureMeta {
  /** Every topic of the update: the canonical one first, then the alternates. */
  readonly topics: readonly string[];
  /** Set for private updates: only subscribers authorized for one of `topics` receive them. */
  readonly private?: true | undefined;
  /** The SSE `retry` the publisher asked for, in milliseconds. */
  readonly retry?: number | undefined;
}

/** The update's Mercure metadata, if it was published through Mercure. */
export function mercureMeta(ev: StoredEvent): MercureMeta | undefined {
  return ev.meta?.mercure as MercureMeta | undefined;
}

/**
 * Whether `ev` is a private Mercure update: only a Mercure token's claims can authorize reading
 * it, so the hub's own transports (`/events`, `/ws`) never deliver it, whatever their grants (the
 * hub's `FaceOnly` rule, wired by `createHub` whether or not Mercure is enabled: another node may
 * have published it).
 */
export function isMercurePrivate(ev: StoredEvent): boolean {
  return mercureMeta(ev)?.private === true;
}

/**
 * The Mercure topics of a stored event: its Mercure topics when published through Mercure, else
 * (an event published to the hub's own API) its hub topic.
 */
export function mercureTopicsOf(ev: StoredEvent): readonly string[] {
  return mercureMeta(ev)?.topics ?? [ev.topic];
}
