/**
 * Simulated traffic for the pages: a DHCP server adding, renewing and expiring leases; projects
 * whose workloads change status and whose builds complete or fail; an access network whose ONUs
 * flap, raise and clear alerts and carry RADIUS sessions. Each change goes through the outbox
 * like a user's change.
 *
 * Every quantity is mean-reverting, so the demo looks the same after a day as after a minute:
 * pool use and the number of RADIUS sessions drift around a target that follows the time of day,
 * ONUs that fail come back, degraded workloads recover. Hard caps keep the random walk inside
 * what a healthy network shows (see simulators.test.ts, which runs a simulated day).
 */

import type Database from 'better-sqlite3';
import { startBuild } from './api/start-build.js';
import { type Db, enqueue, type OutgoingEvent } from './app-db.js';
import {
  leaseExpiry,
  POOLS,
  pick,
  type Random,
  randomHostname,
  randomMac,
  randomSubscriber,
} from './seed-data.js';

/** Where the simulators get the time and their randomness; tests pass a fast clock and a seed. */
export interface SimEnv {
  /** Milliseconds since the epoch, like `Date.now`. */
  now(): number;
  random: Random;
}

const realEnv: SimEnv = { now: () => Date.now(), random: Math.random };

/** How often each simulator runs, in ms (divided by `speed` in {@link startSimulators}). */
export const TICK_MS = { leases: 2000, workloads: 3000, ops: 1500 } as const;

/** No pool is filled by the simulator beyond this share of its addresses. */
export const POOL_CAP = 0.9;
/** At most this many ONUs are down at once (12 provisioned). */
export const MAX_ONUS_DOWN = 3;
/** RADIUS sessions stay within these bounds. */
export const SESSIONS_MIN = 3;
export const SESSIONS_MAX = 16;
/** Finished builds kept (the page shows the last 20). */
const BUILDS_KEPT = 50;

/** The hour of day (0 to 24, fractional) in the server's time zone. */
const hourOf = (t: number) => {
  const d = new Date(t);
  return d.getHours() + d.getMinutes() / 60;
};
/** 1 at `peak` o'clock, -1 twelve hours away, smooth in between. */
const daily = (t: number, peak: number) => Math.cos((2 * Math.PI * (hourOf(t) - peak)) / 24);

/** The share of a pool in use that the simulated devices tend towards at time `t`. */
export function poolTarget(pool: string, t: number): number {
  // Offices fill during working hours and empty at night; guests peak in the afternoon;
  // IoT devices stay.
  if (pool === 'office') return 0.5 + 0.25 * daily(t, 13);
  if (pool === 'guest') return 0.4 + 0.2 * daily(t, 15);
  return 0.6;
}

/** How many RADIUS sessions the simulated subscribers tend towards at time `t` (evening peak). */
export const sessionTarget = (t: number): number => 8 + 4 * daily(t, 20);

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

interface Lease {
  ip: string;
  pool: string;
  state: string;
  expires_at: string;
}
interface Onu {
  id: string;
  olt: string;
  subscriber: string;
  status: string;
  rx_dbm: number;
  updated_at: string;
}
interface Session {
  id: string;
  bytes_in: number;
  bytes_out: number;
}

/** One step of each simulator; each returns the events of the changes it made to `db`. */
export interface Simulator {
  leases(): OutgoingEvent[];
  workloads(): OutgoingEvent[];
  ops(): OutgoingEvent[];
}

export function createSimulator(db: Db, env: SimEnv = realEnv): Simulator {
  const { random } = env;
  // Prepared once: a statement compiled per step would cost more than the step.
  const statements = new Map<string, Database.Statement<unknown[], unknown>>();
  const sql = (text: string) => {
    let st = statements.get(text);
    if (!st) {
      st = db.prepare(text);
      statements.set(text, st);
    }
    return st;
  };
  const iso = () => new Date(env.now()).toISOString();
  let sessionSeq = 100;

  const leaseEvent = (type: string, lease: unknown, change: string): OutgoingEvent => ({
    topic: 'leases',
    type,
    data: { lease, timestamp: iso(), change_type: change },
  });
  const leaseRow = (ip: string) => sql('SELECT * FROM leases WHERE ip = ?').get(ip);

  function leases(): OutgoingEvent[] {
    const t = env.now();
    const all = sql('SELECT ip, pool, state, expires_at FROM leases').all() as Lease[];
    // A lease nobody renewed ends: the DHCP server marks it expired (a few per step, so a demo
    // restarted after a night does not flood the page).
    const lapsed = all.filter((l) => l.state !== 'expired' && Date.parse(l.expires_at) <= t).slice(0, 3);
    if (lapsed.length > 0) {
      return lapsed.map((l) => {
        sql("UPDATE leases SET state = 'expired', updated_at = ? WHERE ip = ?").run(iso(), l.ip);
        return leaseEvent('lease-updated', leaseRow(l.ip), 'expired');
      });
    }
    const expired = all.filter((l) => l.state === 'expired');
    // Cleanup grows with the backlog, so expired leases never pile up.
    if (expired.length > 0 && random() < 0.2 + 0.1 * expired.length) {
      const l = pick(expired, random);
      sql('DELETE FROM leases WHERE ip = ?').run(l.ip);
      return [leaseEvent('lease-removed', l, 'removed')];
    }
    const pool = pick(POOLS, random);
    const live = all.filter((l) => l.pool === pool.name && l.state !== 'expired');
    const use = live.length / pool.size;
    const roll = random();
    if (roll < 0.5) {
      // A device arrives or leaves, more likely the further the pool is from its target.
      const arrive = random() < clamp(0.5 + 2 * (poolTarget(pool.name, t) - use), 0.05, 0.95);
      if (arrive) {
        if ((live.length + 1) / pool.size > POOL_CAP) return [];
        const taken = new Set(all.map((l) => l.ip));
        const free = Array.from({ length: pool.size }, (_, i) => `${pool.prefix}${10 + i}`).filter(
          (ip) => !taken.has(ip),
        );
        if (free.length === 0) return [];
        const lease = {
          ip: pick(free, random),
          mac: randomMac(random),
          hostname: randomHostname(random),
          pool: pool.name,
          state: 'active',
          expires_at: leaseExpiry(30 + Math.floor(random() * 90), t),
          updated_at: iso(),
        };
        sql('INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)').run(...Object.values(lease));
        return [leaseEvent('lease-added', lease, 'added')];
      }
      if (live.length === 0) return [];
      // A device leaves without releasing: its lease runs out a moment from now.
      const l = pick(live, random);
      const soon = new Date(Math.min(Date.parse(l.expires_at), t + 1)).toISOString();
      sql('UPDATE leases SET expires_at = ? WHERE ip = ?').run(soon, l.ip);
      return [];
    }
    // A device renews: the lease closest to its end (clients renew halfway through).
    const renewable = live
      .filter((l) => Date.parse(l.expires_at) > t + 1)
      .sort((a, b) => a.expires_at.localeCompare(b.expires_at));
    const l = renewable[0];
    if (!l) return [];
    sql("UPDATE leases SET state = 'active', expires_at = ?, updated_at = ? WHERE ip = ?").run(
      leaseExpiry(30 + Math.floor(random() * 90), t),
      iso(),
      l.ip,
    );
    return [leaseEvent('lease-updated', leaseRow(l.ip), 'renewed')];
  }

  function workloads(): OutgoingEvent[] {
    const t = env.now();
    const running = sql("SELECT * FROM builds WHERE status = 'running'").all() as Array<{
      id: number;
      workload_id: string;
      project_id: string;
      commit_sha: string;
      started_at: string;
    }>;
    const ripe = running.filter((b) => t - Date.parse(b.started_at) > 4000);
    if (ripe.length > 0) {
      const b = pick(ripe, random);
      const ok = random() < 0.8;
      sql('UPDATE builds SET status = ?, finished_at = ? WHERE id = ?').run(
        ok ? 'succeeded' : 'failed',
        iso(),
        b.id,
      );
      sql("DELETE FROM builds WHERE status != 'running' AND id <= (SELECT max(id) FROM builds) - ?").run(
        BUILDS_KEPT,
      );
      const w = sql('SELECT name FROM workloads WHERE id = ?').get(b.workload_id) as { name: string };
      return [
        {
          topic: `projects/${b.project_id}/builds`,
          type: ok ? 'build_complete' : 'build_failed',
          data: {
            build_id: b.id,
            workload_id: b.workload_id,
            project_id: b.project_id,
            name: w.name,
            commit: b.commit_sha,
            ...(ok
              ? {}
              : {
                  error: pick(
                    ['Unit tests failed', 'Image push timed out', 'Lint errors in 3 files'],
                    random,
                  ),
                }),
          },
        },
      ];
    }
    const all = sql('SELECT * FROM workloads').all() as Array<{
      id: string;
      project_id: string;
      cluster_id: string;
      name: string;
      status: string;
    }>;
    const roll = random();
    if (roll < 0.25 && running.length < 2) {
      startBuild(db, pick(all, random).id, 'ci');
      return [];
    }
    // Workloads that are not running settle back; a running one now and then scales or degrades.
    const unsettled = all.filter((w) => w.status !== 'running');
    let w: (typeof all)[number];
    let status: string;
    if (unsettled.length > 0 && roll < 0.6) {
      w = pick(unsettled, random);
      status = w.status === 'pending' ? 'running' : random() < 0.7 ? 'running' : 'scaling';
    } else if (roll > 0.85 && unsettled.length < 2) {
      w = pick(all, random);
      if (w.status !== 'running') return [];
      status = pick(['degraded', 'scaling', 'scaling', 'pending'], random);
    } else {
      return [];
    }
    if (status === w.status) return [];
    sql('UPDATE workloads SET status = ?, updated_at = ? WHERE id = ?').run(status, iso(), w.id);
    const events: OutgoingEvent[] = [
      {
        topic: `projects/${w.project_id}/workloads`,
        type: 'workload_status_update',
        data: {
          workload_id: w.id,
          project_id: w.project_id,
          cluster_id: w.cluster_id,
          name: w.name,
          status,
          previous: w.status,
        },
      },
    ];
    // A project is degraded while one of its workloads is.
    const degraded = (
      sql("SELECT count(*) AS n FROM workloads WHERE project_id = ? AND status = 'degraded'").get(
        w.project_id,
      ) as { n: number }
    ).n;
    const projectStatus = degraded > 0 ? 'degraded' : 'healthy';
    const p = sql('SELECT status FROM projects WHERE id = ?').get(w.project_id) as { status: string };
    if (p.status !== projectStatus) {
      sql('UPDATE projects SET status = ? WHERE id = ?').run(projectStatus, w.project_id);
      events.push({
        topic: `projects/${w.project_id}/status`,
        type: 'project_status_update',
        data: { project_id: w.project_id, status: projectStatus, previous: p.status },
      });
    }
    return events;
  }

  function onuChange(o: Onu, status: string): OutgoingEvent[] {
    const rx = status === 'degraded' ? -27 - random() * 3 : status === 'online' ? -18 - random() * 6 : -40;
    sql('UPDATE onus SET status = ?, rx_dbm = ?, updated_at = ? WHERE id = ?').run(status, rx, iso(), o.id);
    const onu = sql('SELECT * FROM onus WHERE id = ?').get(o.id);
    const type =
      status === 'online' ? 'onu.online' : status === 'offline' ? 'onu.offline' : 'onu.signal_degraded';
    const events: OutgoingEvent[] = [{ topic: 'ops/onu', type, data: onu }];
    if (status === 'online') {
      events.push({
        topic: 'ops/alerts',
        type: 'alert.cleared',
        data: {
          severity: 'resolved',
          message: o.status === 'offline' ? `${o.id} is back online` : `${o.id} signal is back to normal`,
          source: o.olt,
        },
      });
    } else {
      events.push({
        topic: 'ops/alerts',
        type: 'alert.raised',
        data: {
          severity: status === 'offline' ? 'critical' : 'warning',
          message:
            status === 'offline'
              ? `${o.id} is offline (${o.subscriber})`
              : `${o.id} signal degraded: ${rx.toFixed(1)} dBm`,
          source: o.olt,
        },
      });
    }
    return events;
  }

  function ops(): OutgoingEvent[] {
    const t = env.now();
    const onus = sql('SELECT * FROM onus ORDER BY id').all() as Onu[];
    const down = onus.filter((o) => o.status !== 'online');
    // An outage lasts 45 s on average (1/30 per 1.5 s step)...
    const back = down.find(() => random() < 1 / 30);
    if (back) return onuChange(back, 'online');
    // ...and one starts every 75 s or so (a demo shows incidents, not a quiet night): one ONU in
    // twenty is down on average, all twelve are up about half of the time.
    if (down.length < MAX_ONUS_DOWN && random() < 0.02) {
      const up = onus.filter((o) => o.status === 'online');
      if (up.length > 0) return onuChange(pick(up, random), random() < 0.5 ? 'offline' : 'degraded');
    }

    const sessions = sql('SELECT id, bytes_in, bytes_out FROM radius_sessions').all() as Session[];
    const roll = random();
    if (roll < 0.3) {
      // Subscribers sign on or off, towards the time of day's number of sessions.
      const on =
        sessions.length < SESSIONS_MAX &&
        (sessions.length <= SESSIONS_MIN ||
          random() < clamp(0.5 + 0.15 * (sessionTarget(t) - sessions.length), 0.05, 0.95));
      if (on) {
        const id = `rs-${++sessionSeq}-${Math.floor(random() * 36 ** 4).toString(36)}`;
        sql('INSERT INTO radius_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          id,
          randomSubscriber(random),
          pick(['NAS-1', 'NAS-2'], random),
          `100.64.${Math.floor(random() * 4)}.${Math.floor(random() * 250) + 2}`,
          iso(),
          iso(),
          0,
          0,
        );
        return [
          {
            topic: 'ops/radius',
            type: 'session.started',
            data: sql('SELECT * FROM radius_sessions WHERE id = ?').get(id),
          },
        ];
      }
      const s = pick(sessions, random);
      if (!s) return [];
      const row = sql('SELECT * FROM radius_sessions WHERE id = ?').get(s.id) as object;
      sql('DELETE FROM radius_sessions WHERE id = ?').run(s.id);
      return [{ topic: 'ops/radius', type: 'session.stopped', data: { ...row, updated_at: iso() } }];
    }
    // An interim update: a few MB down, less up.
    const s = pick(sessions, random);
    if (!s) return [];
    sql('UPDATE radius_sessions SET bytes_in = ?, bytes_out = ?, updated_at = ? WHERE id = ?').run(
      s.bytes_in + Math.floor(random() * 5_000_000),
      s.bytes_out + Math.floor(random() * 800_000),
      iso(),
      s.id,
    );
    return [
      {
        topic: 'ops/radius',
        type: 'session.updated',
        data: sql('SELECT * FROM radius_sessions WHERE id = ?').get(s.id),
      },
    ];
  }

  return { leases, workloads, ops };
}

/** Starts the simulators; returns a function that stops them. */
export function startSimulators(db: Db, published: () => void, speed = 1): () => void {
  const sim = createSimulator(db);
  const every = (ms: number, tick: () => OutgoingEvent[]) => {
    const t = setInterval(() => {
      db.transaction(() => enqueue(db, tick()))();
      published();
    }, ms / speed);
    t.unref();
    return t;
  };
  const timers = [
    every(TICK_MS.leases, sim.leases),
    every(TICK_MS.workloads, sim.workloads),
    every(TICK_MS.ops, sim.ops),
  ];
  return () => {
    for (const t of timers) clearInterval(t);
  };
}
