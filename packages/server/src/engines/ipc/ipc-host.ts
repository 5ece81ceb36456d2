import { compilePattern } from '@tidings/protocol';
import type { StoredEvent } from '../../core/stored-event.js';
import type { Engine } from '../engine.js';
import { MemoryPresence } from '../memory/memory-presence.js';
import type { PresenceEntry } from '../presence-store.js';
import {
  type IpcHello,
  type IpcPort,
  type IpcPush,
  type IpcReply,
  type IpcRequest,
  isTidingsMessage,
  toIpcError,
} from './ipc-messages.js';

/**
 * The primary side of a hub split over several processes: it owns `engine` (store and
 * sequencing) for workers attached with {@link IpcEngineHost.attach}, whose hubs run on
 * {@link ipcEngine}. Every stored event is pushed to every worker, in position order, after its
 * append committed (durable before dispatched), so each worker fans out to its own subscribers.
 *
 * It also keeps the presence of every worker's connections (`GET /presence` on any worker counts
 * them all), and forgets a worker's connections when it is detached.
 */
export class IpcEngineHost {
  /** The connections every attached worker announced; what workers' `GET /presence` counts. */
  readonly presence = new MemoryPresence();
  private readonly ports = new Set<IpcPort>();
  /** Connection ids each worker announced and has not withdrawn. */
  private readonly present = new Map<IpcPort, Map<string, PresenceEntry>>();
  private readonly offs = new Map<IpcPort, () => void>();
  /** Appends are answered and fanned out in call order, as the hub itself does. */
  private tail: Promise<void> = Promise.resolve();
  private readonly offBroker: () => void;
  private readonly offControl: () => void;

  constructor(readonly engine: Engine) {
    // Events published on the primary's own broker (none in `tidings serve`) reach workers too.
    this.offBroker = engine.broker.subscribe((events) => this.push({ tidings: 'events', events }));
    this.offControl = engine.broker.onControl((message) => this.push({ tidings: 'control', message }));
  }

  /** Serves one worker until {@link IpcEngineHost.detach} (or the host is closed). */
  attach(port: IpcPort): void {
    const onMessage = (m: unknown) => {
      if (isTidingsMessage(m) && m.tidings === 'req') this.handle(port, m as IpcRequest);
    };
    port.on('message', onMessage);
    this.ports.add(port);
    this.offs.set(port, () => port.off('message', onMessage));
  }

  /**
   * Stops serving one worker (call when it exited): it no longer receives events, and its
   * connections no longer count in presence.
   */
  detach(port: IpcPort): void {
    this.offs.get(port)?.();
    this.offs.delete(port);
    this.ports.delete(port);
    const gone = this.present.get(port);
    this.present.delete(port);
    if (gone) void this.presence.withdraw([...gone.values()]);
  }

  /** Stops serving workers and closes the engine (after appends in flight). */
  async close(): Promise<void> {
    for (const p of [...this.ports]) this.detach(p);
    this.offBroker();
    this.offControl();
    await this.tail;
    await this.engine.close();
  }

  private push(message: IpcPush): void {
    for (const p of this.ports) safeSend(p, message);
  }

  private notePresence(port: IpcPort, kind: 'announce' | 'withdraw', entries: readonly PresenceEntry[]) {
    // A worker detached meanwhile is gone: its entries must not come back.
    if (!this.ports.has(port)) return Promise.resolve();
    let mine = this.present.get(port);
    if (!mine) {
      mine = new Map();
      this.present.set(port, mine);
    }
    if (kind === 'announce') {
      for (const e of entries) mine.set(e.connectionId, e);
      return this.presence.announce(entries);
    }
    for (const e of entries) mine.delete(e.connectionId);
    return this.presence.withdraw(entries);
  }

  private handle(port: IpcPort, req: IpcRequest): void {
    const store = this.engine.store;
    const reply = (work: Promise<unknown>) =>
      work.then(
        (value) => safeSend(port, { tidings: 'ok', rid: req.rid, value } satisfies IpcReply),
        (e: unknown) =>
          safeSend(port, { tidings: 'err', rid: req.rid, error: toIpcError(e) } satisfies IpcReply),
      );
    switch (req.op) {
      case 'hello':
        // The key of the store's ids crosses to the worker, a process of the same hub (as trusted as
        // the primary), so that its idAt gives ids the store resolves.
        reply(
          Promise.resolve({ kind: store.kind, idKey: store.generatedIds?.exportKey() } satisfies IpcHello),
        );
        return;
      case 'append': {
        const appending = store.append(req.events);
        const done = this.tail.then(async () => {
          const results = await appending;
          const fresh: StoredEvent[] = [];
          for (const r of results) if (!r.duplicate) fresh.push(r.event);
          // Through the broker, whose listener pushes to every worker: the push goes out on the
          // same channel before the answer, so the publisher's own subscribers have it first.
          if (fresh.length > 0) await this.engine.broker.publish(fresh);
          return results;
        });
        this.tail = done.then(
          () => undefined,
          () => undefined,
        );
        reply(done);
        return;
      }
      case 'resolve':
        reply(
          Promise.resolve().then(() =>
            store.resolve(req.lastEventId, {
              topics: req.topics,
              patterns: req.patterns.map((p) => compilePattern(p)),
            }),
          ),
        );
        return;
      case 'readAfter':
        reply(
          Promise.resolve().then(() =>
            store.readAfter(
              req.after,
              { topics: req.topics, patterns: req.patterns.map((p) => compilePattern(p)) },
              req.limit,
            ),
          ),
        );
        return;
      case 'head':
        reply(store.head());
        return;
      case 'prune':
        reply(store.prune());
        return;
      case 'control':
        reply(this.engine.broker.sendControl(req.message));
        return;
      case 'presence':
        reply(this.notePresence(port, req.kind, req.entries));
        return;
      case 'presenceQuery':
        reply(this.presence.query(req.topic));
        return;
    }
  }
}

function safeSend(port: IpcPort, message: unknown): void {
  try {
    port.send(message);
  } catch {
    // The worker is gone; its exit is handled by whoever forked it.
  }
}
