import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AgentCommand, AgentMessage, CollectedMessage, TickMessage } from './agent-messages.js';
import { addSummaries, type LedgerSummary } from './delivery-ledger.js';
import { LatencyHistogram } from './latency-histogram.js';

const AGENT = fileURLToPath(new URL('../dist/agent.js', import.meta.url));
/** Streams per agent process: below the 20,000 open files one process may hold, with room to spare. */
export const MAX_STREAMS_PER_AGENT = 15_000;

/** Totals over every agent, from their latest ticks. */
export interface PoolStatus {
  open: number;
  failed: number;
  received: number;
  /** Socket reads of all agents. */
  reads: number;
  /** The lowest "highest sequence number seen" over every subscriber. */
  low: number;
  /** CPU seconds of all agent processes. */
  cpu: number;
  errors: string[];
}

/** The load generator's processes, seen from the runner. */
export class AgentPool {
  private readonly ticks: Array<TickMessage | undefined>;
  private readonly waiters: Array<((m: CollectedMessage) => void) | undefined>;
  private readonly slices: Array<[number, number]> = [];
  private readonly exits: Array<Promise<void>>;

  private constructor(private readonly procs: ChildProcess[]) {
    this.ticks = procs.map(() => undefined);
    this.waiters = procs.map(() => undefined);
    this.exits = procs.map((p) => new Promise<void>((r) => p.once('exit', () => r())));
    procs.forEach((p, i) => {
      p.on('message', (m: AgentMessage) => {
        if (m.t === 'tick') this.ticks[i] = m;
        else if (m.t === 'collected') {
          const w = this.waiters[i];
          this.waiters[i] = undefined;
          w?.(m);
        }
      });
    });
  }

  /** Starts enough agents for `streams` connections (at least `min`). */
  static start(streams: number, min = 1): AgentPool {
    const n = Math.max(min, Math.ceil(streams / MAX_STREAMS_PER_AGENT));
    return new AgentPool(
      Array.from({ length: n }, () => fork(AGENT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })),
    );
  }

  get size(): number {
    return this.procs.length;
  }

  get pids(): number[] {
    return this.procs.map((p) => p.pid!);
  }

  private send(i: number, m: AgentCommand): void {
    this.procs[i]!.send(m);
  }

  /** Opens one stream per path, spread over the agents in contiguous slices. */
  open(port: number, paths: string[], localAddresses: string[], reconnect = false): void {
    const per = Math.ceil(paths.length / this.procs.length);
    this.slices.length = 0;
    for (let i = 0; i < this.procs.length; i++) {
      const from = Math.min(paths.length, i * per);
      const to = Math.min(paths.length, from + per);
      this.slices.push([from, to]);
      this.send(i, { t: 'open', port, paths: paths.slice(from, to), localAddresses, reconnect });
    }
  }

  status(): PoolStatus {
    const s: PoolStatus = {
      open: 0,
      failed: 0,
      received: 0,
      reads: 0,
      low: Number.POSITIVE_INFINITY,
      cpu: 0,
      errors: [],
    };
    this.ticks.forEach((t, i) => {
      const [from, to] = this.slices[i] ?? [0, 0];
      if (!t) {
        if (to > from) s.low = 0;
        return;
      }
      s.open += t.open;
      s.failed += t.failed;
      s.received += t.received;
      s.reads += t.reads;
      if (to > from) s.low = Math.min(s.low, t.low);
      s.cpu += t.cpu;
      s.errors.push(...t.errors);
    });
    if (s.low === Number.POSITIVE_INFINITY) s.low = 0;
    return s;
  }

  /** A fresh tick from every agent (ticks come every 20 ms). */
  async settle(): Promise<PoolStatus> {
    this.ticks.fill(undefined);
    while (this.ticks.some((t) => t === undefined)) await new Promise((r) => setTimeout(r, 10));
    return this.status();
  }

  resetLatency(): void {
    for (let i = 0; i < this.procs.length; i++) this.send(i, { t: 'reset-latency' });
  }

  /** Loss/duplicate/order totals and the merged latency histogram. */
  async collect(
    expected: (sub: number) => number,
  ): Promise<{ summary: LedgerSummary; latency: LatencyHistogram; cpu: number }> {
    const replies = await Promise.all(
      this.procs.map(
        (_, i) =>
          new Promise<CollectedMessage>((ok) => {
            this.waiters[i] = ok;
            const [from, to] = this.slices[i] ?? [0, 0];
            const counts: number[] = [];
            let same = true;
            for (let sub = from; sub < to; sub++) {
              counts.push(expected(sub));
              if (counts[counts.length - 1] !== counts[0]) same = false;
            }
            this.send(i, { t: 'collect', expected: same ? (counts[0] ?? 0) : counts });
          }),
      ),
    );
    const latency = new LatencyHistogram();
    for (const r of replies)
      latency.merge(LatencyHistogram.fromSparse(r.latency.sparse, r.latency.max, r.latency.sum));
    return {
      summary: addSummaries(replies.map((r) => r.summary)),
      latency,
      cpu: replies.reduce((a, r) => a + r.cpu, 0),
    };
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.procs.length; i++) {
      if (this.procs[i]!.connected) this.send(i, { t: 'close' });
    }
    const t = setTimeout(() => {
      for (const p of this.procs) p.kill('SIGKILL');
    }, 5000);
    await Promise.all(this.exits);
    clearTimeout(t);
  }
}
