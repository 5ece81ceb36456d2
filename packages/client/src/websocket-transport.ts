import type { ClientEnvironment, WebSocketConstructor, WebSocketLike } from './environment.js';
import type { HubReply, Transport, TransportFailure } from './transport.js';

/**
 * A thrown error as a phrase. A copy of fetch-transport's: the lazy chunk must share no module
 * with the core (a shared chunk costs every page a request and some compression).
 */
export function describeNetworkError(e: unknown): string {
  const err = e as { message?: unknown; cause?: { code?: unknown } } | undefined;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  const code = err?.cause?.code;
  return typeof code === 'string' ? `${msg} (${code})` : msg;
}

/** `WS_SUBPROTOCOL` of `@tidings/protocol`, inlined to keep the browser bundle small. */
const SUBPROTOCOL = 'tidings.v1';
/** Close codes 4400–4999: the hub refused the connection with HTTP status `code - 4000`. */
const REFUSED_MIN = 4400;

/**
 * The transport over the hub's WebSocket channel. Hub messages become the same frames the SSE
 * transports produce (the event message is the envelope with an extra `op`, so its text is passed
 * on as is); `ack`/`nack` go to `reply`; the transport pings at the hub's heartbeat interval and
 * reports each round trip to `latency`.
 */
export function webSocketTransport(
  WS: WebSocketConstructor,
  env: Pick<ClientEnvironment, 'timers'>,
): Transport {
  const timers = env.timers;
  return (req, h) => {
    let done = false;
    let opened = false;
    let started = false;
    let refusal: { status: number; error: { code?: string; message?: string } } | undefined;
    let pingTimer: unknown;
    const pings = new Map<string, number>();
    let seq = 0;
    let ws: WebSocketLike | undefined;
    const stopPing = () => {
      if (pingTimer !== undefined) timers.clearTimeout(pingTimer);
      pingTimer = undefined;
    };
    const finish = (f: TransportFailure) => {
      if (done) return;
      done = true;
      stopPing();
      try {
        ws?.close();
      } catch {
        // Already closing.
      }
      h.close(f);
    };
    const send = (m: string): boolean => {
      if (done || !started || !ws) return false;
      try {
        ws.send(m);
        return true;
      } catch {
        return false;
      }
    };
    const ping = (every: number) => {
      const id = `p${++seq}`;
      if (pings.size > 8) pings.clear();
      pings.set(id, timers.now());
      send(`{"op":"ping","id":"${id}"}`);
      pingTimer = timers.setTimeout(() => ping(every), every);
    };
    // Callbacks never run inside the transport call itself: the caller stores the handle first.
    timers.setTimeout(() => {
      if (done) return;
      try {
        ws = new WS(req.url, SUBPROTOCOL);
      } catch (e) {
        finish({ kind: 'network', message: describeNetworkError(e) });
        return;
      }
      ws.addEventListener('open', () => {
        opened = true;
      });
      // The close event that follows says what happened (and Node's ws throws unheard errors).
      ws.addEventListener('error', () => {});
      ws.addEventListener('message', (e) => {
        if (done || typeof e.data !== 'string') return;
        h.activity();
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(e.data) as Record<string, unknown>;
        } catch {
          return;
        }
        const op = m.op;
        if (op === 'event') {
          h.frame({ id: m.id as string, event: m.type as string, data: e.data });
        } else if (op === 'connected') {
          started = true;
          h.open();
          h.frame({ id: undefined, event: 'connected', data: e.data });
          const every = m.heartbeatMs;
          if (typeof every === 'number' && every > 0) ping(every);
        } else if (op === 'pong') {
          const at = pings.get(m.id as string);
          if (at !== undefined) {
            pings.delete(m.id as string);
            h.latency?.(Math.max(0, timers.now() - at));
          }
        } else if (op === 'ack' || op === 'nack') {
          h.reply?.(m as unknown as HubReply);
        } else if (op === 'error') {
          refusal = m as unknown as typeof refusal;
        } else if (typeof op === 'string') {
          // reset, token-expired, force-logout: the same frames as over SSE.
          h.frame({ id: undefined, event: op, data: e.data });
        }
      });
      ws.addEventListener('close', (e) => {
        if (done) return;
        const status = refusal?.status ?? (e.code >= REFUSED_MIN && e.code < 5000 ? e.code - 4000 : 0);
        if (status) {
          finish({
            kind: 'http',
            status,
            message: refusal?.error.message ?? e.reason ?? '',
            code: refusal?.error.code,
          });
        } else if (!opened) {
          finish({
            kind: 'refused',
            message: `The WebSocket upgrade to ${req.url.split('?')[0]} failed: the hub is unreachable, does not serve WebSockets there, or a proxy blocks them.`,
          });
        } else if (
          e.code === 1000 ||
          e.code === 1001 ||
          e.code === 4000 ||
          e.code === 4001 ||
          e.code === 4010
        ) {
          finish({ kind: 'ended' });
        } else {
          finish({
            kind: 'network',
            message: `The WebSocket closed with code ${e.code}${e.reason ? ` (${e.reason})` : ''}`,
          });
        }
      });
    }, 0);
    return {
      close() {
        done = true;
        stopPing();
        try {
          ws?.close(1000);
        } catch {
          // Already closing.
        }
      },
      send,
    };
  };
}
