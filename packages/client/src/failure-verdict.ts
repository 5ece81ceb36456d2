import type { TransportFailure } from './transport.js';

/** The hub's answer to a refused attempt, kept in `ConnectionError`. */
export interface FailureDetail {
  readonly status?: number | undefined;
  readonly code?: string | undefined;
}

/**
 * What a failed attempt means for the next one (see {@link failureVerdict}), as a tuple, the
 * cheapest shape in the minified bundle:
 * - `next`: `retry` waits out the backoff (no less than `minDelayMs`, from a `Retry-After`
 *   header), then tries again; `refresh` fetches a fresh token and tries again at once; `stop`
 *   waits for the user to act and call `connect()`; `no-content` stops because the hub answered
 *   204, which tells clients to.
 * - `message`: what happened and what to do, in whole sentences.
 */
export type FailureVerdict = readonly [
  next: 'retry' | 'refresh' | 'stop' | 'no-content',
  message: string,
  detail?: FailureDetail,
  minDelayMs?: number,
];

/** A message as a sentence, ending with a full stop unless it has its own. */
export function sentence(s: string): string {
  const t = s.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

/**
 * The stop-or-retry decision for a failed attempt. Statuses that retrying cannot change (403,
 * other 4xx but 408 and 429, a 401 with a fixed token or after a fresh one) stop the client; a
 * first 401 with a token function refreshes the token; the rest (5xx, 408, 429, network errors,
 * a closed stream) are retried with backoff.
 * @param origin - the hub's origin, named in network errors.
 * @param refreshable - whether the token is a function, which can issue a fresh one.
 * @param refreshed - whether this attempt already used a token fetched after a 401.
 */
export function failureVerdict(
  f: TransportFailure,
  origin: string,
  refreshable: boolean,
  refreshed: boolean,
): FailureVerdict {
  switch (f.kind) {
    case 'http': {
      const hub = sentence(f.message);
      const detail = { status: f.status, code: f.code };
      if (f.status === 204) return ['no-content', ''];
      if (f.status === 401) {
        if (!refreshable) {
          return [
            'stop',
            `The hub rejected the token (401): ${hub} A fixed token string cannot be refreshed; pass a token function, then call connect().`,
            detail,
          ];
        }
        if (refreshed) {
          return [
            'stop',
            `The hub rejected the token (401) even after a fresh one was fetched: ${hub} Sign the user in again, then call connect().`,
            detail,
          ];
        }
        return ['refresh', `The hub rejected the token (401): ${hub} Retrying with a fresh token.`, detail];
      }
      if (f.status === 403) {
        return [
          'stop',
          `The hub refused this subscription (403): ${hub} The user may not read these topics; change the topics or the user's permissions, then call connect().`,
          detail,
        ];
      }
      if (f.status >= 400 && f.status < 500 && f.status !== 408 && f.status !== 429) {
        return [
          'stop',
          `The hub refused the request (${f.status}): ${hub} Retrying cannot help; fix the client's url or topics, then call connect().`,
          detail,
        ];
      }
      return ['retry', `The hub answered ${f.status}: ${hub}`, detail, f.retryAfterMs];
    }
    case 'not-event-stream':
      return ['stop', f.message];
    case 'ended':
      return ['retry', 'The hub closed the stream.'];
    case 'network':
      return ['retry', `Lost the connection to ${origin}: ${sentence(f.message)}`];
    case 'refused':
      return ['retry', f.message];
  }
}
