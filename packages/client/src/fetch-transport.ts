import { createParser } from 'eventsource-parser';
import type { FetchLike, TimerSource } from './environment.js';
import type { Transport, TransportFailure } from './transport.js';

/** Longest error body read from a refusal; the hub's are a few hundred bytes. */
const MAX_ERROR_BODY = 4096;

/** Reads `{"error":{"code","message"}}` from a refusal, falling back to the status text. */
async function httpFailure(res: Response, now: number): Promise<TransportFailure> {
  let text = '';
  try {
    text = (await res.text()).slice(0, MAX_ERROR_BODY);
  } catch {
    // The body is only used for the message.
  }
  let message = '';
  let code: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown } };
    if (typeof body.error?.message === 'string') message = body.error.message;
    if (typeof body.error?.code === 'string') code = body.error.code;
  } catch {
    message = text.trim().slice(0, 200);
  }
  return {
    kind: 'http',
    status: res.status,
    message: message || res.statusText || `HTTP ${res.status}`,
    code,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now),
  };
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A network error as one phrase: undici hides the useful part (`ECONNREFUSED`…) in `cause`. */
export function describeNetworkError(e: unknown): string {
  const err = e as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = err?.cause?.code ?? err?.cause?.message;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  return typeof code === 'string' && code !== msg ? `${msg} (${code})` : msg;
}

/**
 * The default transport: a streaming `fetch`, so headers (authorization, `Last-Event-ID`) can be
 * sent, parsed with `eventsource-parser`.
 */
export function fetchTransport(fetchFn: FetchLike, timers: Pick<TimerSource, 'now'>): Transport {
  return (req, h) => {
    const abort = new AbortController();
    let done = false;
    const finish = (f: TransportFailure) => {
      if (done) return;
      done = true;
      h.close(f);
    };
    const run = async () => {
      let res: Response;
      try {
        res = await fetchFn(req.url, {
          headers: req.headers,
          signal: abort.signal,
          credentials: req.credentials,
          cache: 'no-store',
        });
      } catch (e) {
        finish({ kind: 'network', message: describeNetworkError(e) });
        return;
      }
      if (done) {
        await res.body?.cancel().catch(() => {});
        return;
      }
      if (res.status !== 200) {
        finish(await httpFailure(res, timers.now()));
        return;
      }
      const ctype = res.headers.get('content-type') ?? '';
      if (!/^text\/event-stream\b/i.test(ctype) || !res.body) {
        await res.body?.cancel().catch(() => {});
        finish({
          kind: 'not-event-stream',
          message: `The server answered 200 with content-type "${ctype || 'none'}" instead of text/event-stream; check that the url points at the hub's /events endpoint.`,
        });
        return;
      }
      h.open();
      const parser = createParser({
        onEvent: (m) => {
          if (!done) h.frame({ id: m.id, event: m.event, data: m.data });
        },
        onRetry: (ms) => {
          if (!done) h.retry(ms);
        },
      });
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { done: end, value } = await reader.read();
          if (done) break;
          if (end) {
            finish({ kind: 'ended' });
            break;
          }
          h.activity();
          parser.feed(decoder.decode(value, { stream: true }));
        }
      } catch (e) {
        finish({ kind: 'network', message: `The stream broke: ${describeNetworkError(e)}` });
      } finally {
        reader.cancel().catch(() => {});
      }
    };
    void run();
    return {
      close() {
        done = true;
        abort.abort();
      },
    };
  };
}
