import { HubError } from '../../core/errors.js';
import { type LimitCounters, LocalLimitCounters, type SlotRequest } from '../../limits/limit-counters.js';
import type { Rate } from '../../limits/token-bucket.js';
import { type IpcPort, isTidingsMessage } from './ipc-messages.js';

type LimitsOp =
  | { readonly op: 'acquire'; readonly slots: readonly SlotRequest[] }
  | { readonly op: 'release'; readonly slots: readonly SlotRequest[] }
  | {
      readonly op: 'take';
      readonly bucket: string;
      readonly key: string;
      readonly n: number;
      readonly rate: Rate;
    };
type LimitsRequest = { readonly tidings: 'limits'; readonly rid: number } & LimitsOp;
type LimitsReply = { readonly tidings: 'limits-reply'; readonly rid: number; readonly value: number };

/**
 * The primary's side of {@link ipcLimitCounters}: keeps the limit counts of every attached worker
 * in one {@link LocalLimitCounters}, so `connectionsPerUser`, `connectionsPerIp` and the publish
 * rates hold for the hub as a whole. Remembers the slots each worker holds and gives them back
 * when the worker is detached (it exited), so a dead worker's streams stop counting at once.
 */
export class IpcLimitsHost {
  /** The hub-wide counts. */
  readonly counters = new LocalLimitCounters();
  private readonly held = new Map<IpcPort, Map<string, { slot: SlotRequest; n: number }>>();
  private readonly offs = new Map<IpcPort, () => void>();

  /** Answers one worker's limit requests until {@link IpcLimitsHost.detach}. */
  attach(port: IpcPort): void {
    const onMessage = (m: unknown) => {
      if (isTidingsMessage(m) && m.tidings === 'limits') this.handle(port, m as LimitsRequest);
    };
    port.on('message', onMessage);
    this.offs.set(port, () => port.off('message', onMessage));
    this.held.set(port, new Map());
  }

  /** Stops answering one worker and releases every slot it still held. */
  detach(port: IpcPort): void {
    this.offs.get(port)?.();
    this.offs.delete(port);
    const held = this.held.get(port);
    this.held.delete(port);
    if (!held) return;
    for (const { slot, n } of held.values()) for (let i = 0; i < n; i++) this.counters.release([slot]);
  }

  /** Slots a worker holds now (for tests and diagnostics). */
  heldBy(port: IpcPort): number {
    let n = 0;
    for (const h of this.held.get(port)?.values() ?? []) n += h.n;
    return n;
  }

  private handle(port: IpcPort, m: LimitsRequest): void {
    const held = this.held.get(port);
    // A detached worker's late messages must not take slots nobody will give back.
    if (!held) return;
    const id = (s: SlotRequest) => `${s.counter}\u0000${s.key}`;
    switch (m.op) {
      case 'acquire': {
        const at = this.counters.acquireNow(m.slots);
        if (at === -1) {
          for (const s of m.slots) {
            const h = held.get(id(s));
            if (h) h.n++;
            else held.set(id(s), { slot: s, n: 1 });
          }
        }
        send(port, { tidings: 'limits-reply', rid: m.rid, value: at });
        return;
      }
      case 'release':
        for (const s of m.slots) {
          const h = held.get(id(s));
          // Only what this worker holds: a confused or hostile worker cannot free others' slots.
          if (!h) continue;
          this.counters.release([s]);
          if (--h.n <= 0) held.delete(id(s));
        }
        return;
      case 'take':
        send(port, {
          tidings: 'limits-reply',
          rid: m.rid,
          value: this.counters.takeNow(m.bucket, m.key, m.n, m.rate),
        });
        return;
    }
  }
}

function send(port: IpcPort, message: LimitsReply): boolean {
  try {
    port.send(message);
    return true;
  } catch {
    // The worker is gone; its exit detaches it.
    return false;
  }
}

/**
 * A worker's {@link LimitCounters}: asks the primary's {@link IpcLimitsHost} over the IPC channel,
 * one message per new stream or publish request (about 0.1 ms on a local channel), so limits hold
 * hub-wide however many workers share the port. When the primary is gone, requests fail with
 * `503` (the worker is shutting down then).
 */
export function ipcLimitCounters(port: IpcPort | NodeJS.Process): LimitCounters {
  if (typeof port.send !== 'function') {
    throw new Error(
      'ipcLimitCounters needs an IPC channel to its primary: run it in a process forked by node:cluster or child_process.fork.',
    );
  }
  const ch = port as IpcPort;
  const pending = new Map<number, { resolve: (v: number) => void; reject: (e: unknown) => void }>();
  let seq = 0;
  let closed = false;
  const gone = () =>
    new HubError(
      503,
      'unavailable',
      "The hub's primary process, which counts the limits of every worker, is gone; retry once the hub restarted.",
      undefined,
      { 'retry-after': '1' },
    );
  const onMessage = (m: unknown) => {
    if (!isTidingsMessage(m) || m.tidings !== 'limits-reply') return;
    const r = m as LimitsReply;
    const p = pending.get(r.rid);
    if (!p) return;
    pending.delete(r.rid);
    p.resolve(r.value);
  };
  const failAll = () => {
    closed = true;
    for (const p of pending.values()) p.reject(gone());
    pending.clear();
  };
  ch.on('message', onMessage);
  (port as NodeJS.Process).once?.('disconnect', failAll);
  const ask = (m: LimitsOp): Promise<number> => {
    if (closed) return Promise.reject(gone());
    const rid = ++seq;
    return new Promise<number>((resolve, reject) => {
      pending.set(rid, { resolve, reject });
      try {
        ch.send({ tidings: 'limits', rid, ...m });
      } catch {
        pending.delete(rid);
        reject(gone());
      }
    });
  };
  return {
    acquire: (slots) => ask({ op: 'acquire', slots }),
    release(slots) {
      if (closed) return;
      try {
        ch.send({ tidings: 'limits', rid: 0, op: 'release', slots });
      } catch {
        // The primary is gone, and with it every count.
      }
    },
    take: (bucket, key, n, rate) => ask({ op: 'take', bucket, key, n, rate }),
    close() {
      ch.off('message', onMessage);
      failAll();
    },
  };
}
