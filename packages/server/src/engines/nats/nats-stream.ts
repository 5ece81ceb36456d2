import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy as JsRetention,
  StorageType,
} from '@nats-io/jetstream';
import { GeneratedIds } from '../generated-ids.js';
import type { RetentionOptions } from '../history-store.js';
import { RedisIdKeys } from '../redis/redis-id-keys.js';
import { DEFAULT_RETENTION, type RetentionPolicy } from '../retention.js';
import type { NatsHandles, NatsLink } from './nats-link.js';
import type { NatsNames } from './nats-names.js';

/** JetStream's error code for a failed `Nats-Expected-Last-Subject-Sequence`. */
export const WRONG_LAST_SEQUENCE = 10071;

/** JetStream's error codes for a stream that does not exist. */
const STREAM_NOT_FOUND = 10059;

/** Options of {@link NatsStream}. */
export interface NatsStreamOptions {
  /** How long JetStream remembers a supplied id's message id to drop a retried publish. */
  readonly dedupeWindowMs: number;
  /** Copies of each event in a clustered JetStream. */
  readonly replicas: number;
}

/** The JetStream error code of `err`, if it is one. */
export function apiErrorCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; apiError?: () => { err_code?: number } };
  if (typeof e?.apiError === 'function') return e.apiError().err_code;
  return undefined;
}

/**
 * The stream that holds every topic's history, and the id key stored in it.
 *
 * The stream is created (or its limits updated) on first use: one subject per topic under
 * `<prefix>.ev.>`, file storage, `max_msgs_per_subject` the largest count any retention rule
 * keeps (topics of smaller rules are trimmed after each append), no age limit (ages are the
 * events' own times, swept by the store).
 *
 * The id key (the secret that makes generated ids opaque) is a message of the stream itself, on
 * its own subject, so it lives and dies with the history: a stream purged or deleted behind the
 * hub's back loses its key too, a new one starts, and ids of the lost history resolve as unknown
 * (`reset`) rather than as positions of the new one.
 */
export class NatsStream {
  /** The id key last seen, and keys of histories seen lost. */
  readonly idKeys = new RedisIdKeys();
  /** Sequence of the current id key's message: positions below it may belong to a lost history. */
  keySeq = 0;
  /** `max_msgs_per_subject` of the stream. */
  readonly maxPerSubject: number;
  private setup: Promise<NatsHandles> | undefined;

  constructor(
    readonly names: NatsNames,
    readonly link: NatsLink,
    readonly policy: RetentionPolicy,
    private readonly options: NatsStreamOptions,
    retention: RetentionOptions = {},
  ) {
    const fallback = retention.maxEvents ?? DEFAULT_RETENTION.maxEvents;
    this.maxPerSubject = Math.floor(
      Math.max(fallback, ...(retention.rules ?? []).map((r) => r.maxEvents ?? fallback)),
    );
  }

  /** The connection, once the stream exists with this hub's limits. */
  async ready(consequence: string): Promise<NatsHandles> {
    const h = await this.link.get(consequence);
    this.setup ??= this.create(h.jsm).then(() => h);
    try {
      return await this.setup;
    } catch (err) {
      this.setup = undefined;
      throw this.link.failure(err, consequence);
    }
  }

  /** Forgets that the stream exists, after it vanished: the next call creates it again. */
  lost(err: unknown): void {
    if (apiErrorCode(err) === STREAM_NOT_FOUND || /stream not found/i.test(String(err)))
      this.setup = undefined;
  }

  private async create(jsm: JetStreamManager): Promise<void> {
    const config = {
      subjects: [`${this.names.events}.>`, `${this.names.prefix}.meta.>`],
      max_msgs_per_subject: this.maxPerSubject,
      duplicate_window: this.options.dedupeWindowMs * 1_000_000,
      republish: { src: '>', dest: `${this.names.republish}.>` },
    };
    try {
      const info = await jsm.streams.info(this.names.stream);
      const c = info.config;
      if (
        c.max_msgs_per_subject !== config.max_msgs_per_subject ||
        c.duplicate_window !== config.duplicate_window ||
        c.republish?.dest !== config.republish.dest
      ) {
        // Every node runs with the same retention; the one that starts last sets the limits.
        await jsm.streams.update(this.names.stream, { ...c, ...config });
      }
    } catch (err) {
      if (apiErrorCode(err) !== STREAM_NOT_FOUND) throw err;
      await jsm.streams
        .add({
          name: this.names.stream,
          ...config,
          storage: StorageType.File,
          retention: JsRetention.Limits,
          discard: DiscardPolicy.Old,
          num_replicas: this.options.replicas,
          allow_direct: true,
        })
        .catch(async (e: unknown) => {
          // Another node created it meanwhile.
          if (!/already in use|exists/i.test(String(e))) throw e;
        });
    }
  }

  /**
   * The id key in the stream (creating it when there is none), learnt as the current one. A key
   * that changed means the stream lost its history since this node last looked.
   */
  async loadKey(h: NatsHandles): Promise<GeneratedIds> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const m = await h.jsm.direct.getMessage(this.names.stream, { last_by_subj: this.names.idKey });
      if (m) {
        const key = new TextDecoder().decode(m.data);
        const current = this.idKeys.current;
        if (current && current.exportKey() === key) return current;
        const ids = new GeneratedIds(key);
        this.idKeys.learn(ids);
        this.keySeq = m.seq;
        return ids;
      }
      try {
        await h.js.publish(this.names.idKey, GeneratedIds.newKey(), { expect: { lastSubjectSequence: 0 } });
      } catch (err) {
        // Another node wrote the key first: read theirs.
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
      }
    }
    throw new Error('The id key of the NATS stream keeps changing; is another process purging the stream?');
  }

  /** The current id key, loading it on first use. */
  async ids(h: NatsHandles): Promise<GeneratedIds> {
    return this.idKeys.current ?? this.loadKey(h);
  }
}
