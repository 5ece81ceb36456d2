import { type EventDefinitions, validatePattern } from '@tidings/protocol';
import { DEFAULT_BACKOFF, type ResolvedBackoff } from './backoff.js';
import {
  type ClientOptions,
  DEFAULT_PAUSE_AFTER_MS,
  type HeadersOption,
  type TokenFunction,
} from './client-options.js';

/** {@link ClientOptions} checked, defaults filled in. */
export interface ResolvedOptions {
  readonly url: URL;
  readonly topics: readonly string[];
  readonly definitions: EventDefinitions | undefined;
  readonly token: string | TokenFunction | undefined;
  readonly headers: HeadersOption | undefined;
  readonly credentials: RequestCredentials;
  readonly lastEventId: string | undefined;
  readonly backoff: ResolvedBackoff;
  readonly heartbeatTimeoutMs: number | undefined;
  readonly bufferSize: number;
  readonly pauseAfterMs: number | undefined;
  readonly shareKey: string | undefined;
  readonly useNativeEventSource: boolean;
  readonly debug: boolean;
  readonly transport: 'sse' | 'websocket' | 'auto';
  readonly webSocketUrl: URL;
  readonly commandTimeoutMs: number;
}

function fail(message: string): never {
  throw new TypeError(message);
}

function positive(name: string, v: unknown, allowZero = false, allowInfinity = false): number | undefined {
  if (v === undefined) return undefined;
  const ok =
    typeof v === 'number' &&
    !Number.isNaN(v) &&
    (allowZero ? v >= 0 : v > 0) &&
    (Number.isFinite(v) || (allowInfinity && v === Number.POSITIVE_INFINITY));
  if (!ok) {
    fail(
      `The client option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number${allowInfinity ? ' or Infinity' : ''}, not ${JSON.stringify(v) ?? String(v)}.`,
    );
  }
  return v as number;
}

/**
 * Checks options and fills in defaults.
 * @throws {TypeError} naming the option and saying what to pass instead.
 */
export function resolveOptions(
  o: ClientOptions<EventDefinitions | undefined>,
  baseUrl: string | undefined,
): ResolvedOptions {
  if (!o || typeof o !== 'object') fail('createClient needs an options object such as { url, topics }.');
  let url: URL;
  if (o.url instanceof URL) {
    url = new URL(o.url.href);
  } else if (typeof o.url === 'string' && o.url !== '') {
    try {
      url = new URL(o.url, baseUrl);
    } catch {
      fail(
        baseUrl === undefined && !/^[a-z][a-z0-9+.-]*:/i.test(o.url)
          ? `The client url "${o.url}" is relative, and there is no page to resolve it against; give an absolute url such as "http://127.0.0.1:8080/events".`
          : `The client url "${o.url}" is not a valid URL; give one such as "https://app.example/events".`,
      );
    }
  } else {
    fail(
      'The client option url is required: the hub\'s events endpoint, such as "https://app.example/events".',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`The client url must be http: or https:, not ${url.protocol} ("${url.href}").`);
  }
  if (!Array.isArray(o.topics) || o.topics.length === 0) {
    fail("The client option topics must list at least one topic or pattern, such as ['leases'].");
  }
  for (const t of o.topics) {
    const err =
      typeof t === 'string' ? validatePattern(t) : { message: `The topic ${String(t)} is not a string.` };
    if (err) fail(err.message);
  }
  if (o.events !== undefined && (typeof o.events !== 'object' || typeof o.events?.validate !== 'function')) {
    fail('The client option events must come from defineEvents({...}) in @tidings/protocol.');
  }
  if (o.token !== undefined && typeof o.token !== 'string' && typeof o.token !== 'function') {
    fail('The client option token must be a string or a function returning one (or a Promise of one).');
  }
  if (o.headers !== undefined && (o.headers === null || !['object', 'function'].includes(typeof o.headers))) {
    fail(
      'The client option headers must be an object of header names to values, or a function returning one.',
    );
  }
  if (o.useNativeEventSource && o.headers !== undefined) {
    fail(
      'EventSource cannot send headers: drop the headers option, or drop useNativeEventSource to use the default fetch transport.',
    );
  }
  if (o.lastEventId !== undefined && (typeof o.lastEventId !== 'string' || /[\r\n\0]/.test(o.lastEventId))) {
    fail('The client option lastEventId must be an event id string without line breaks.');
  }
  const b = o.backoff ?? {};
  if (typeof b !== 'object') fail('The client option backoff must be an object such as { initialMs: 1000 }.');
  const backoff: ResolvedBackoff = {
    initialMs: positive('backoff.initialMs', b.initialMs) ?? DEFAULT_BACKOFF.initialMs,
    multiplier: positive('backoff.multiplier', b.multiplier) ?? DEFAULT_BACKOFF.multiplier,
    maxMs: positive('backoff.maxMs', b.maxMs) ?? DEFAULT_BACKOFF.maxMs,
    earlyMaxMs: positive('backoff.earlyMaxMs', b.earlyMaxMs) ?? DEFAULT_BACKOFF.earlyMaxMs,
    rampMs: positive('backoff.rampMs', b.rampMs) ?? DEFAULT_BACKOFF.rampMs,
    maxAttempts: positive('backoff.maxAttempts', b.maxAttempts, true, true) ?? DEFAULT_BACKOFF.maxAttempts,
    jitter: b.jitter ?? DEFAULT_BACKOFF.jitter,
    resetAfterMs: positive('backoff.resetAfterMs', b.resetAfterMs, true) ?? DEFAULT_BACKOFF.resetAfterMs,
  };
  if (backoff.initialMs > backoff.maxMs) {
    fail(
      `The client option backoff.initialMs (${backoff.initialMs}) is larger than backoff.maxMs (${backoff.maxMs}); raise maxMs or lower initialMs.`,
    );
  }
  if (b.multiplier !== undefined && b.multiplier < 1) {
    fail(`The client option backoff.multiplier must be at least 1, not ${b.multiplier}.`);
  }
  if (Number.isFinite(backoff.maxAttempts) && !Number.isInteger(backoff.maxAttempts)) {
    fail(
      `The client option backoff.maxAttempts must be a whole number or Infinity, not ${backoff.maxAttempts}.`,
    );
  }
  const bufferSize = positive('bufferSize', o.bufferSize, true) ?? 100;
  if (!Number.isInteger(bufferSize))
    fail(`The client option bufferSize must be a whole number, not ${bufferSize}.`);
  let pauseAfterMs: number | undefined;
  if (o.pauseWhenHidden === true) pauseAfterMs = DEFAULT_PAUSE_AFTER_MS;
  else if (typeof o.pauseWhenHidden === 'object' && o.pauseWhenHidden !== null) {
    pauseAfterMs = positive('pauseWhenHidden.afterMs', o.pauseWhenHidden.afterMs, true);
    if (pauseAfterMs === undefined)
      fail('The client option pauseWhenHidden takes true or { afterMs: 30000 }.');
  }
  let shareKey: string | undefined;
  if (o.shareAcrossTabs === true) {
    const u = new URL(url.href);
    u.hash = '';
    shareKey = `${u.href}#${[...new Set(o.topics)].sort().join(',')}`;
  } else if (typeof o.shareAcrossTabs === 'object' && o.shareAcrossTabs !== null) {
    if (typeof o.shareAcrossTabs.key !== 'string' || o.shareAcrossTabs.key === '') {
      fail('The client option shareAcrossTabs takes true or { key: "a-name-for-the-group" }.');
    }
    shareKey = o.shareAcrossTabs.key;
  }
  const transport = o.transport ?? 'sse';
  if (transport !== 'sse' && transport !== 'websocket' && transport !== 'auto') {
    fail(`The client option transport is 'sse', 'websocket' or 'auto', not ${JSON.stringify(transport)}.`);
  }
  let webSocketUrl: URL;
  try {
    webSocketUrl = new URL(o.webSocketUrl ?? 'ws', o.webSocketUrl === undefined ? url : baseUrl);
  } catch {
    fail(`The client option webSocketUrl "${String(o.webSocketUrl)}" is not a valid URL.`);
  }
  // http: → ws:, https: → wss:; ws: and wss: stay.
  webSocketUrl.protocol = webSocketUrl.protocol.replace('http', 'ws');
  return {
    transport,
    webSocketUrl,
    commandTimeoutMs: positive('commandTimeoutMs', o.commandTimeoutMs) ?? 15_000,
    url,
    topics: [...new Set(o.topics)],
    definitions: o.events,
    token: o.token,
    headers: o.headers,
    credentials: o.credentials ?? 'same-origin',
    lastEventId: o.lastEventId,
    backoff,
    heartbeatTimeoutMs: positive('heartbeatTimeoutMs', o.heartbeatTimeoutMs),
    bufferSize,
    pauseAfterMs,
    shareKey,
    useNativeEventSource: o.useNativeEventSource === true,
    debug: o.debug === true,
  };
}
