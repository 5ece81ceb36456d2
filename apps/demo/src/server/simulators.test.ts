/**
 * A simulated day of the demo's traffic in a few seconds: a fast clock and a seeded random source
 * drive the simulators over a real (in-memory) SQLite database, and the page's numbers must stay
 * those of a healthy network at every minute of it.
 */
import { describe, expect, it } from 'vitest';
import { openDb } from './app-db.js';
import { POOLS, seed } from './seed-data.js';
import {
  createSimulator,
  MAX_ONUS_DOWN,
  POOL_CAP,
  SESSIONS_MAX,
  SESSIONS_MIN,
  type SimEnv,
  TICK_MS,
} from './simulators.js';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sample {
  hour: number;
  poolUse: Record<string, number>;
  expired: number;
  onusOnline: number;
  sessions: number;
  unsettledWorkloads: number;
  runningBuilds: number;
  builds: number;
}

function simulateDay(seedValue: number, hours = 24) {
  const db = openDb(':memory:');
  seed(db);
  const start = Date.now();
  let clock = start;
  const env: SimEnv = { now: () => clock, random: seeded(seedValue) };
  const sim = createSimulator(db, env);
  const next = { leases: start, workloads: start, ops: start };
  const counts = new Map<string, number>();
  const samples: Sample[] = [];
  let nextSample = start;
  const end = start + hours * 3_600_000;
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  while (clock < end) {
    const which = (Object.keys(next) as Array<keyof typeof next>).reduce((a, b) =>
      next[a] <= next[b] ? a : b,
    );
    clock = next[which];
    next[which] += TICK_MS[which];
    for (const e of sim[which]()) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
    if (clock >= nextSample) {
      nextSample += 60_000;
      const poolUse: Record<string, number> = {};
      for (const p of POOLS) {
        poolUse[p.name] =
          count(`SELECT count(*) AS n FROM leases WHERE pool = '${p.name}' AND state != 'expired'`) / p.size;
      }
      samples.push({
        hour: new Date(clock).getHours(),
        poolUse,
        expired: count("SELECT count(*) AS n FROM leases WHERE state = 'expired'"),
        onusOnline: count("SELECT count(*) AS n FROM onus WHERE status = 'online'"),
        sessions: count('SELECT count(*) AS n FROM radius_sessions'),
        unsettledWorkloads: count("SELECT count(*) AS n FROM workloads WHERE status != 'running'"),
        runningBuilds: count("SELECT count(*) AS n FROM builds WHERE status = 'running'"),
        builds: count('SELECT count(*) AS n FROM builds'),
      });
    }
  }
  db.close();
  return { samples, counts };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the simulators over a simulated day', () => {
  const { samples, counts } = simulateDay(20261207);

  it('took a sample every simulated minute', () => {
    expect(samples.length).toBeGreaterThanOrEqual(24 * 60);
  });

  it('never fills a pool beyond 90 % and keeps every pool in use', () => {
    for (const p of POOLS) {
      const use = samples.map((s) => s.poolUse[p.name] as number);
      expect(Math.max(...use), `pool ${p.name}`).toBeLessThanOrEqual(POOL_CAP);
      expect(Math.min(...use), `pool ${p.name}`).toBeGreaterThan(0);
    }
  });

  it('fills the office pool by day and empties it at night', () => {
    const office = (hours: number[]) =>
      mean(samples.filter((s) => hours.includes(s.hour)).map((s) => s.poolUse.office as number));
    expect(office([11, 12, 13, 14, 15])).toBeGreaterThan(office([23, 0, 1, 2, 3]) + 0.25);
  });

  it('cleans expired leases up, so they never pile up', () => {
    expect(Math.max(...samples.map((s) => s.expired))).toBeLessThanOrEqual(10);
    expect(counts.get('lease-added')).toBeGreaterThan(500);
    expect(counts.get('lease-removed')).toBeGreaterThan(500);
  });

  it('keeps at least 9 of 12 ONUs online, all 12 most of the time, with outages that come and go', () => {
    const online = samples.map((s) => s.onusOnline);
    expect(Math.min(...online)).toBeGreaterThanOrEqual(12 - MAX_ONUS_DOWN);
    expect(online.filter((n) => n >= 11).length / online.length).toBeGreaterThan(0.8);
    expect(online.filter((n) => n === 12).length / online.length).toBeGreaterThan(0.4);
    // About one incident every 75 s, each resolved.
    const raised = counts.get('alert.raised') ?? 0;
    const cleared = counts.get('alert.cleared') ?? 0;
    expect(raised).toBeGreaterThan(700);
    expect(raised).toBeLessThan(1600);
    expect(raised - cleared).toBeLessThanOrEqual(MAX_ONUS_DOWN);
  });

  it('keeps the RADIUS sessions bounded, more in the evening than in the morning', () => {
    const n = samples.map((s) => s.sessions);
    expect(Math.min(...n)).toBeGreaterThanOrEqual(SESSIONS_MIN);
    expect(Math.max(...n)).toBeLessThanOrEqual(SESSIONS_MAX);
    const at = (hours: number[]) =>
      mean(samples.filter((s) => hours.includes(s.hour)).map((s) => s.sessions));
    expect(at([19, 20, 21])).toBeGreaterThan(at([7, 8, 9]) + 2);
    expect(counts.get('session.stopped')).toBeGreaterThan(1000);
  });

  it('settles workloads back to running and keeps builds finishing', () => {
    const unsettled = samples.map((s) => s.unsettledWorkloads);
    expect(Math.max(...unsettled)).toBeLessThanOrEqual(3);
    expect(unsettled.filter((n) => n === 0).length / unsettled.length).toBeGreaterThan(0.5);
    expect(Math.max(...samples.map((s) => s.runningBuilds))).toBeLessThanOrEqual(2);
    expect(Math.max(...samples.map((s) => s.builds))).toBeLessThanOrEqual(52);
    expect(counts.get('build_complete')).toBeGreaterThan(1000);
  });
});
