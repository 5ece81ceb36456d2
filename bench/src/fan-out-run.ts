import { AgentPool } from './agent-pool.js';
import type { LedgerSummary } from './delivery-ledger.js';
import { benchPayload, HttpPublisher } from './http-publisher.js';
import { treeUsage } from './proc-stats.js';
import type { BenchContext, Row } from './scenario-types.js';
import type { RunningServer, ServerKind } from './servers.js';

/** One fan-out measurement: subscribers spread over topics, events published closed-loop or at a rate. */
/** Fails `row` when any subscriber lost, duplicated or reordered an event: speed never excuses it. */
export function failIfIncorrect(row: Row, s: LedgerSummary): void {
  if (!s.lost && !s.duplicates && !s.reordered) return;
  row.verdict = 'failed';
  row.notes.push(`Correctness: ${s.lost} lost, ${s.duplicates} duplicated, ${s.reordered} out of order.`);
}

export interface FanOutPlan {
  subscribers: number;
  topics: number;
  /** `undefined`: as fast as accepted, keeping `window` rounds ahead of the slowest subscriber. */
  rate?: number;
  /** Rounds (one event per topic) allowed ahead of the slowest subscriber in closed-loop mode. */
  window?: number;
  /** Seconds of publishing. */
  durationS: number;
  /** Stop publishing after this many events (bounded smoke runs). */
  maxEvents?: number;
  /** Pin the server (false for multi-process servers that should use every core). */
  pin?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The generator's own CPU seconds: the agents' (from their last tick) plus this process's. */
function ownCpu(agentsCpu: number): number {
  const u = process.cpuUsage();
  return agentsCpu + (u.user + u.system) / 1e6;
}

/** Opens `paths` through `pool` and waits until every stream is open (or fails). */
export async function openStreams(
  ctx: BenchContext,
  pool: AgentPool,
  server: RunningServer,
  paths: string[],
  reconnect = false,
): Promise<string | undefined> {
  pool.open(server.port, paths, ctx.localAddresses, reconnect);
  const deadline = Date.now() + 30_000 + paths.length * 5;
  for (;;) {
    const s = pool.status();
    ctx.progress.bar(`${server.name}: connecting`, s.open / paths.length, `${s.open}/${paths.length}`);
    if (s.open >= paths.length) return undefined;
    if (s.failed > 0) return `${s.failed} subscriber connections failed: ${s.errors.join(' ')}`;
    if (Date.now() > deadline)
      return `Only ${s.open} of ${paths.length} subscribers connected within ${Math.round((deadline - Date.now()) / 1000)} s.`;
    await sleep(20);
  }
}

/** Runs one fan-out plan against one server kind; never throws (a failure is a row). */
export async function fanOutRun(ctx: BenchContext, kind: ServerKind, plan: FanOutPlan): Promise<Row> {
  const row: Row = { server: kind.name, verdict: 'ok', metrics: {}, notes: [] };
  let server: RunningServer | undefined;
  let pool: AgentPool | undefined;
  let publisher: HttpPublisher | undefined;
  try {
    server = await kind.start({ cpus: plan.pin === false ? undefined : ctx.serverCpus });
    // One agent per generator core at least: a single agent process could use only one of them.
    pool = AgentPool.start(plan.subscribers, Math.min(ctx.generatorCores, Math.ceil(plan.subscribers / 500)));
    const paths = Array.from({ length: plan.subscribers }, (_, i) =>
      server!.subscribePath(`b${i % plan.topics}`),
    );
    const failure = await openStreams(ctx, pool, server, paths);
    if (failure) {
      row.verdict = 'failed';
      row.notes.push(failure);
      return row;
    }
    await sleep(300);
    publisher = await HttpPublisher.open(server.port, 2);
    const bodies = plan.topics; // one request per event: every server gets the same requests
    const counts = new Array<number>(plan.topics).fill(0);
    let published = 0;
    let publishError: Error | undefined;
    const publishOne = () => {
      const topic = published % bodies;
      const seq = ++counts[topic]!;
      published++;
      publisher!
        .send(server!.publishRequest(`b${topic}`, benchPayload(seq, ctx.payloadBytes)), topic)
        .catch((e: Error) => {
          publishError ??= e;
        });
    };
    const start = await pool.settle();
    const use0 = treeUsage(server.pid);
    const srv0 = use0.cpu;
    const gen0 = ownCpu(start.cpu);
    const t0 = performance.now();
    const endAt = t0 + plan.durationS * 1000;
    const window = plan.window ?? Math.min(1000, Math.max(4, Math.ceil(20_000 / plan.subscribers)));
    const label = `${kind.name}: ${plan.rate ? `${plan.rate} msg/s` : 'as fast as accepted'}`;
    const maxEvents = plan.maxEvents ?? Number.POSITIVE_INFINITY;
    while (performance.now() < endAt && !publishError && published < maxEvents) {
      const now = performance.now();
      if (plan.rate) {
        const due = Math.floor(((now - t0) / 1000) * plan.rate);
        while (published < due && published < maxEvents) publishOne();
      } else {
        const low = pool.status().low;
        const allowed = (low + window) * plan.topics;
        while (published < allowed && publisher.inFlight < 256 && published < maxEvents) publishOne();
      }
      ctx.progress.bar(label, (now - t0) / (plan.durationS * 1000), `${published} events`);
      await sleep(plan.rate ? 2 : 1);
    }
    // Drain: every subscriber must get every event of its topic.
    const expectedTotal = counts.reduce(
      (a, c, t) => a + c * Math.ceil((plan.subscribers - t) / plan.topics),
      0,
    );
    // Under overload a server falls behind by design: give its queue time (≥ 40k deliveries/s)
    // within a bound (20-60 s); a queue still full by then makes the row `behind`.
    const drainS = Math.min(60, 20 + expectedTotal / 40_000);
    const drainDeadline = performance.now() + drainS * 1000;
    let st = pool.status();
    while (st.received < expectedTotal && performance.now() < drainDeadline && !publishError) {
      ctx.progress.bar(
        `${kind.name}: draining`,
        st.received / expectedTotal,
        `${st.received}/${expectedTotal}`,
      );
      await sleep(20);
      st = pool.status();
    }
    const t1 = performance.now();
    const drained = st.received >= expectedTotal;
    const use1 = treeUsage(server.pid);
    const srv1 = use1.cpu;
    const end = await pool.settle();
    const gen1 = ownCpu(end.cpu);
    const c = await pool.collect((sub) => counts[sub % plan.topics] ?? 0);
    const wall = (t1 - t0) / 1000;
    const deliveries = c.summary.delivered;
    const genUtil = (gen1 - gen0) / wall / ctx.generatorCores;
    Object.assign(row.metrics, {
      subscribers: plan.subscribers,
      topics: plan.topics,
      events: published,
      deliveries,
      seconds: wall,
      deliveriesPerSec: deliveries / wall,
      serverCpuUsPerDelivery: ((srv1 - srv0) * 1e6) / Math.max(1, deliveries),
      serverCpuShare: (srv1 - srv0) / wall,
      generatorCpuShare: genUtil,
      p50Ms: c.latency.percentile(50) / 1000,
      p90Ms: c.latency.percentile(90) / 1000,
      p99Ms: c.latency.percentile(99) / 1000,
      maxMs: c.latency.max / 1000,
      lost: c.summary.lost,
      duplicates: c.summary.duplicates,
      reordered: c.summary.reordered,
      // How well each side coalesces: events per generator read, deliveries per server write
      // syscall (write/writev only: a server that uses send() shows fewer writes than it makes).
      eventsPerRead: (end.received - start.received) / Math.max(1, end.reads - start.reads),
      deliveriesPerServerWrite: deliveries / Math.max(1, use1.writes - use0.writes),
    });
    if (plan.rate) row.metrics.askedDeliveriesPerSec = plan.rate * (plan.subscribers / plan.topics);
    if (publishError) {
      row.verdict = 'failed';
      row.notes.push(`Publishing failed: ${publishError.message}`);
    }
    const skippedEvents = c.summary.lost - c.summary.tail;
    if (
      !drained &&
      !publishError &&
      end.failed === 0 &&
      !skippedEvents &&
      !c.summary.duplicates &&
      !c.summary.reordered
    ) {
      // Everything received so far is complete and in order; the rest is still queued in the server.
      row.verdict = 'behind';
      row.metrics.lost = 0;
      row.metrics.undelivered = c.summary.tail;
      row.notes.push(
        `Fell behind: ${c.summary.tail} of ${expectedTotal} deliveries were still queued ${Math.round(drainS)} s after publishing stopped (nothing lost, duplicated or reordered so far).`,
      );
    } else {
      failIfIncorrect(row, c.summary);
    }
    if (end.failed > 0) {
      row.verdict = 'failed';
      row.notes.push(`${end.failed} streams failed or were dropped: ${end.errors.join(' ')}`);
    }
    if (row.verdict === 'ok' && genUtil > ctx.saturation) {
      row.verdict = 'saturated';
      row.notes.push(
        `The load generator used ${Math.round(genUtil * 100)} % of its ${ctx.generatorCores} core(s): it, not the server, may have been the limit, so no figures are reported. Give it more room (a quieter machine, --no-pin) and run again.`,
      );
      // Shown for diagnosis only, never as a result: how far it got while the generator was the limit.
      const m = row.metrics;
      row.notes.push(
        `Not a result, for diagnosis: ${Math.round(m.deliveriesPerSec ?? 0)} deliveries/s, p99 ${Math.round(m.p99Ms ?? 0)} ms, ${(m.eventsPerRead ?? 0).toFixed(1)} events per generator read.`,
      );
      row.metrics = { generatorCpuShare: genUtil };
    }
    return row;
  } catch (e) {
    row.verdict = 'failed';
    row.notes.push((e as Error).message);
    return row;
  } finally {
    publisher?.close();
    await pool?.close();
    await server?.stop();
  }
}
