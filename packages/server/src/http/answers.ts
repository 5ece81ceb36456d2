import { HubError } from '../core/errors.js';
import { type HubResponse, json } from './hub-request.js';

/**
 * The refusal of a new stream or WebSocket while the hub closes: every transport answers it the
 * same way, so a client's reconnection logic needs one rule.
 */
export function shuttingDown(): HubError {
  return new HubError(503, 'unavailable', 'The hub is shutting down; reconnect in a moment.', undefined, {
    'retry-after': '1',
  });
}

/** The error body of a request whose URL cannot be parsed, whichever host entry received it. */
export const MALFORMED_URL_BODY = {
  error: { code: 'bad-request', message: 'The request URL is malformed.' },
} as const;

/** The `400` for a request whose URL cannot be parsed. */
export function malformedUrl(): HubResponse {
  return json(400, MALFORMED_URL_BODY);
}
