import type { Server as HttpServer } from 'node:http';
import type { Server, Socket } from 'node:net';

/** A worker as the dispatcher sees it: `cluster.Worker` or a forked `ChildProcess`. */
export interface DispatchTarget {
  send(
    message: unknown,
    handle: Socket,
    options: { keepOpen: boolean },
    cb: (e: Error | null) => void,
  ): boolean;
}

/** What the primary sends with each connection, and what the worker answers. */
interface ConnectionMessage {
  tidings: 'connection';
  cid: number;
}
interface TakenMessage {
  tidings: 'connection-taken';
  cid: number;
}

/** Options of {@link ConnectionDispatcher}. */
export interface ConnectionDispatcherOptions {
  /**
   * How long the primary keeps its copy of a connection for a worker to confirm it, in ms; past
   * it the copy is closed: a connection still queued in the primary ends, one the worker already
   * received stays the worker's. @defaultValue 5000
   */
  takeTimeoutMs?: number | undefined;
  /**
   * How long a connection waits for a worker when none is ready (all starting or being
   * replaced), in ms; past it the connection is closed. @defaultValue 10000
   */
  waitTimeoutMs?: number | undefined;
  /** Most connections waiting for a ready worker; more are closed at once. @defaultValue 4096 */
  maxWaiting?: number | undefined;
}

interface InFlight {
  readonly socket: Socket;
  readonly worker: DispatchTarget;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Hands the connections a primary process accepts (`tidings serve --workers N`) to its workers, round
 * robin. It replaces node:cluster's own round robin, which keeps a connection open in the primary
 * until the worker it was handed to confirms, and never closes it when that worker dies first:
 * the client then waits forever. Here every connection is, within a bound, either confirmed by a
 * live worker (and the primary lets go of it) or closed: when its worker dies or its channel
 * closes (call {@link ConnectionDispatcher.remove}), when it is still unsent after
 * `takeTimeoutMs`, or when no worker is ready for `waitTimeoutMs`.
 * A connection is accepted paused, so no byte of it is read in the primary.
 */
export class ConnectionDispatcher {
  private readonly ready: DispatchTarget[] = [];
  private next = 0;
  private seq = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly waiting: { socket: Socket; since: number }[] = [];
  private waitTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly takeTimeoutMs: number;
  private readonly waitTimeoutMs: number;
  private readonly maxWaiting: number;
  private closed = false;

  constructor(o: ConnectionDispatcherOptions = {}) {
    this.takeTimeoutMs = o.takeTimeoutMs ?? 5000;
    this.waitTimeoutMs = o.waitTimeoutMs ?? 10_000;
    this.maxWaiting = o.maxWaiting ?? 4096;
  }

  /** Connections not confirmed by a worker yet: handed to one, or waiting for one to be ready. */
  get pending(): number {
    return this.inFlight.size + this.waiting.length;
  }

  /** Starts handing connections to `worker` (once it serves). */
  add(worker: DispatchTarget): void {
    if (this.ready.includes(worker)) return;
    this.ready.push(worker);
    const queued = this.waiting.splice(0);
    for (const w of queued) this.route(w.socket);
  }

  /**
   * Stops handing connections to `worker` and closes those it has not confirmed (call when it
   * exited or its channel closed): nobody else can serve them, as it may have read from them.
   */
  remove(worker: DispatchTarget): void {
    const i = this.ready.indexOf(worker);
    if (i !== -1) this.ready.splice(i, 1);
    for (const [cid, f] of this.inFlight) {
      if (f.worker !== worker) continue;
      this.inFlight.delete(cid);
      clearTimeout(f.timer);
      f.socket.destroy();
    }
  }

  /** Handles a worker's message; true when it was the dispatcher's. */
  onMessage(m: unknown): boolean {
    if (typeof m !== 'object' || m === null || (m as TakenMessage).tidings !== 'connection-taken')
      return false;
    const cid = (m as TakenMessage).cid;
    const f = this.inFlight.get(cid);
    if (!f) return true;
    this.inFlight.delete(cid);
    clearTimeout(f.timer);
    // The worker holds its own copy now; closing ours does not end the connection.
    f.socket.destroy();
    return true;
  }

  /** Hands `socket` (accepted paused) to the next ready worker, or keeps it until one is. */
  dispatch(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // A reset while the connection waits ends it here; nothing is read in the primary.
    socket.on('error', () => socket.destroy());
    this.route(socket);
  }

  private route(socket: Socket): void {
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    const worker = this.ready[this.next++ % Math.max(1, this.ready.length)];
    if (!worker) {
      if (this.waiting.length >= this.maxWaiting) {
        socket.destroy();
        return;
      }
      this.waiting.push({ socket, since: Date.now() });
      this.armWaitTimer();
      return;
    }
    const cid = ++this.seq;
    const timer = setTimeout(() => {
      if (this.inFlight.delete(cid)) socket.destroy();
    }, this.takeTimeoutMs);
    timer.unref();
    this.inFlight.set(cid, { socket, worker, timer });
    const message: ConnectionMessage = { tidings: 'connection', cid };
    try {
      worker.send(message, socket, { keepOpen: true }, (e) => {
        if (e) this.failed(cid);
      });
    } catch {
      this.failed(cid);
    }
  }

  /** Closes every connection not yet confirmed and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const w of [...this.ready]) this.remove(w);
    for (const w of this.waiting.splice(0)) w.socket.destroy();
    for (const f of this.inFlight.values()) {
      clearTimeout(f.timer);
      f.socket.destroy();
    }
    this.inFlight.clear();
    if (this.waitTimer) clearTimeout(this.waitTimer);
  }

  private failed(cid: number): void {
    const f = this.inFlight.get(cid);
    if (!f) return;
    this.inFlight.delete(cid);
    clearTimeout(f.timer);
    // The message never left, so the worker never saw the socket: another one may serve it.
    const i = this.ready.indexOf(f.worker);
    if (i !== -1) this.ready.splice(i, 1);
    this.route(f.socket);
  }

  private armWaitTimer(): void {
    if (this.waitTimer || this.waiting.length === 0) return;
    const first = this.waiting[0] as { since: number };
    this.waitTimer = setTimeout(
      () => {
        this.waitTimer = undefined;
        const now = Date.now();
        while (
          this.waiting.length > 0 &&
          now - (this.waiting[0] as { since: number }).since >= this.waitTimeoutMs
        )
          this.waiting.shift()?.socket.destroy();
        this.armWaitTimer();
      },
      Math.max(0, first.since + this.waitTimeoutMs - Date.now()),
    );
    this.waitTimer.unref();
  }
}

/**
 * A worker's side of {@link ConnectionDispatcher}: serves every connection its primary hands it
 * on `server`, which does not listen itself. Confirms each one at once, before reading a byte, so
 * the primary lets go of its copy.
 * @returns a function after which connections still handed to this worker are closed.
 */
export function receiveConnections(channel: NodeJS.Process, server: HttpServer | Server): () => void {
  let open = true;
  const onMessage = (m: unknown, handle: unknown) => {
    if (typeof m !== 'object' || m === null || (m as ConnectionMessage).tidings !== 'connection') return;
    const socket = handle as Socket | undefined;
    const taken: TakenMessage = { tidings: 'connection-taken', cid: (m as ConnectionMessage).cid };
    try {
      channel.send?.(taken);
    } catch {
      // The primary is gone; this worker stops too.
    }
    if (!socket) return;
    if (!open) {
      socket.destroy();
      return;
    }
    server.emit('connection', socket);
  };
  // Stays subscribed after stop(): a connection already on its way is closed, not leaked.
  channel.on('message', onMessage);
  return () => {
    open = false;
  };
}
