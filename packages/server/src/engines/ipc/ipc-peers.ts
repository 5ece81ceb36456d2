import { HubError } from '../../core/errors.js';
import { type IpcPort, isTidingsMessage } from './ipc-messages.js';

/** What every process of a hub answered to one question ({@link HubPeers.ask}). */
export interface PeerAnswers<T> {
  /** One answer per process that answered, the asking process included; in no particular order. */
  readonly answers: readonly T[];
  /** Processes that did not answer in time, or whose handler failed. */
  readonly missing: number;
}

/**
 * The processes of one hub split over several (`tidings serve --workers`): lets a feature of a
 * worker ask every worker the same question and combine the answers, so that `/metrics` and
 * `/admin` describe the whole hub rather than the worker that took the request.
 * @see ipcPeers for a worker's side, IpcPeersHost for the primary's.
 */
export interface HubPeers {
  /**
   * Sets how this process answers `topic` (one handler per topic; a later one replaces it).
   * Until a handler is set, this process is left out of the answers, without counting as missing.
   * @returns a function that removes the handler.
   */
  answer(topic: string, handler: (arg: unknown) => unknown): () => void;
  /** Asks every process, this one included, and resolves once all answered or the primary's time ran out. */
  ask<T>(topic: string, arg?: unknown): Promise<PeerAnswers<T>>;
}

type Question = {
  readonly tidings: 'peers-question';
  readonly aid: number;
  readonly topic: string;
  readonly arg: unknown;
};
type Answer = {
  readonly tidings: 'peers-answer';
  readonly aid: number;
  readonly ok: boolean;
  readonly none?: boolean;
  readonly value?: unknown;
};
type Ask = {
  readonly tidings: 'peers-ask';
  readonly qid: number;
  readonly topic: string;
  readonly arg: unknown;
};
type Answers = {
  readonly tidings: 'peers-answers';
  readonly qid: number;
  readonly answers: unknown[];
  readonly missing: number;
};

/** Options of {@link IpcPeersHost}. */
export interface IpcPeersHostOptions {
  /** How long a question waits for every worker before it is answered without the late ones, in ms. @defaultValue 5000 */
  timeoutMs?: number | undefined;
}

interface OpenQuestion {
  readonly from: IpcPort;
  readonly qid: number;
  readonly waiting: Set<IpcPort>;
  readonly answers: unknown[];
  missing: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The primary's side of {@link HubPeers}: relays a worker's question to every worker attached
 * (the asker included) and sends the answers back. A worker that exits during a question is
 * no longer waited for.
 */
export class IpcPeersHost {
  private readonly timeoutMs: number;
  /** Workers that said hello: they answer questions (or say they have no handler). */
  private readonly ready = new Set<IpcPort>();
  private readonly offs = new Map<IpcPort, () => void>();
  private readonly open = new Map<number, OpenQuestion>();
  private seq = 0;

  constructor(o: IpcPeersHostOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? 5000;
  }

  /** Workers that said hello, which questions go to. */
  get workers(): number {
    return this.ready.size;
  }

  /** Relays questions from and to one worker until {@link IpcPeersHost.detach}. */
  attach(port: IpcPort): void {
    const onMessage = (m: unknown) => {
      if (!isTidingsMessage(m)) return;
      if (m.tidings === 'peers-hello') this.ready.add(port);
      else if (m.tidings === 'peers-ask') this.ask(port, m as Ask);
      else if (m.tidings === 'peers-answer') this.answered(port, m as Answer);
    };
    port.on('message', onMessage);
    this.offs.set(port, () => port.off('message', onMessage));
  }

  /** Forgets one worker (call when it exited). */
  detach(port: IpcPort): void {
    this.offs.get(port)?.();
    this.offs.delete(port);
    this.ready.delete(port);
    for (const q of [...this.open.values()]) {
      if (q.waiting.delete(port)) this.settleIfDone(q);
    }
  }

  /** Detaches every worker. */
  close(): void {
    for (const p of [...this.offs.keys()]) this.detach(p);
  }

  private ask(from: IpcPort, m: Ask): void {
    const aid = ++this.seq;
    const q: OpenQuestion = {
      from,
      qid: m.qid,
      waiting: new Set(),
      answers: [],
      missing: 0,
      timer: undefined,
    };
    this.open.set(aid, q);
    const question: Question = { tidings: 'peers-question', aid, topic: m.topic, arg: m.arg };
    for (const p of this.ready) if (trySend(p, question)) q.waiting.add(p);
    if (this.settleIfDone(q)) return;
    q.timer = setTimeout(() => {
      q.missing += q.waiting.size;
      q.waiting.clear();
      this.settleIfDone(q);
    }, this.timeoutMs);
    q.timer.unref?.();
  }

  private answered(port: IpcPort, m: Answer): void {
    const q = this.open.get(m.aid);
    if (!q?.waiting.delete(port)) return;
    if (m.ok) q.answers.push(m.value);
    else if (!m.none) q.missing++;
    this.settleIfDone(q);
  }

  private settleIfDone(q: OpenQuestion): boolean {
    if (q.waiting.size > 0) return false;
    if (q.timer) clearTimeout(q.timer);
    for (const [aid, open] of this.open) if (open === q) this.open.delete(aid);
    const reply: Answers = { tidings: 'peers-answers', qid: q.qid, answers: q.answers, missing: q.missing };
    trySend(q.from, reply);
    return true;
  }
}

function trySend(port: IpcPort, message: unknown): boolean {
  try {
    port.send(message);
    return true;
  } catch {
    // The worker is gone; its exit detaches it.
    return false;
  }
}

/** A {@link HubPeers} that can be closed. */
export interface IpcPeers extends HubPeers {
  /** Stops answering and fails questions still open. */
  close(): void;
}

/**
 * A worker's side of {@link HubPeers}, over the IPC channel to a primary running an
 * {@link IpcPeersHost}. Create it early: the primary asks only workers that said hello.
 */
export function ipcPeers(port: IpcPort | NodeJS.Process): IpcPeers {
  if (typeof port.send !== 'function') {
    throw new Error(
      'ipcPeers needs an IPC channel to its primary: run it in a process forked by node:cluster or child_process.fork.',
    );
  }
  const ch = port as IpcPort;
  const handlers = new Map<string, (arg: unknown) => unknown>();
  const pending = new Map<
    number,
    { resolve: (a: PeerAnswers<unknown>) => void; reject: (e: unknown) => void }
  >();
  let seq = 0;
  let closed = false;
  const reply = (m: Answer) => {
    if (!closed) trySend(ch, m);
  };
  const onMessage = (m: unknown) => {
    if (!isTidingsMessage(m)) return;
    if (m.tidings === 'peers-question') {
      const q = m as Question;
      const handler = handlers.get(q.topic);
      if (!handler) {
        reply({ tidings: 'peers-answer', aid: q.aid, ok: false, none: true });
        return;
      }
      Promise.resolve()
        .then(() => handler(q.arg))
        .then(
          (value) => reply({ tidings: 'peers-answer', aid: q.aid, ok: true, value }),
          () => reply({ tidings: 'peers-answer', aid: q.aid, ok: false }),
        );
    } else if (m.tidings === 'peers-answers') {
      const a = m as Answers;
      const p = pending.get(a.qid);
      if (!p) return;
      pending.delete(a.qid);
      p.resolve({ answers: a.answers, missing: a.missing });
    }
  };
  ch.on('message', onMessage);
  trySend(ch, { tidings: 'peers-hello' });
  const gone = () =>
    new HubError(
      503,
      'unavailable',
      "The hub's primary process is gone, so the other workers cannot be asked; retry once the hub restarted.",
    );
  return {
    answer(topic, handler) {
      handlers.set(topic, handler);
      return () => {
        if (handlers.get(topic) === handler) handlers.delete(topic);
      };
    },
    ask<T>(topic: string, arg?: unknown): Promise<PeerAnswers<T>> {
      if (closed) return Promise.reject(gone());
      const qid = ++seq;
      return new Promise<PeerAnswers<T>>((resolve, reject) => {
        pending.set(qid, { resolve: resolve as (a: PeerAnswers<unknown>) => void, reject });
        const ask: Ask = { tidings: 'peers-ask', qid, topic, arg };
        if (!trySend(ch, ask)) {
          pending.delete(qid);
          reject(gone());
        }
      });
    },
    close() {
      if (closed) return;
      closed = true;
      ch.off('message', onMessage);
      for (const p of pending.values()) p.reject(gone());
      pending.clear();
      handlers.clear();
    },
  };
}
