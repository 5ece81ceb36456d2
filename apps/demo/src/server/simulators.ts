/**
 * Simulated traffic for the pages: a DHCP server adding, renewing and expiring leases; projects
 * whose workloads change status and whose builds complete or fail; an access network whose ONUs
 * flap, raise alerts and carry RADIUS sessions. Each change goes through the outbox like a
 * user's change.
 */

import { startBuild } from './api/start-build.js';
import { type Db, enqueue, now, type OutgoingEvent } from './app-db.js';
import { leaseExpiry, POOLS, pick, randomHostname, randomMac } from './seed-data.js';

interface Lease {
  ip: string;
  pool: string;
  state: string;
}

function leaseTick(db: Db): OutgoingEvent[] {
  const leases = db.prepare('SELECT ip, pool, state FROM leases').all() as Lease[];
  const roll = Math.random();
  const stamp = (type: string, lease: unknown, change: string): OutgoingEvent => ({
    topic: 'leases',
    type,
    data: { lease, timestamp: now(), change_type: change },
  });
  const expired = leases.filter((l) => l.state === 'expired');
  if (expired.length > 0 && roll < 0.35) {
    const l = pick(expired);
    db.prepare('DELETE FROM leases WHERE ip = ?').run(l.ip);
    return [stamp('lease-removed', l, 'removed')];
  }
  if (roll < 0.6) {
    const pool = pick(POOLS);
    const taken = new Set(leases.map((l) => l.ip));
    const free = Array.from({ length: pool.size }, (_, i) => `${pool.prefix}${10 + i}`).filter(
      (ip) => !taken.has(ip),
    );
    if (free.length === 0) return [];
    const lease = {
      ip: pick(free),
      mac: randomMac(),
      hostname: randomHostname(),
      pool: pool.name,
      state: 'active',
      expires_at: leaseExpiry(),
      updated_at: now(),
    };
    db.prepare('INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)').run(...Object.values(lease));
    return [stamp('lease-added', lease, 'added')];
  }
  const live = leases.filter((l) => l.state !== 'expired');
  if (live.length === 0) return [];
  const l = pick(live);
  const state = roll < 0.85 ? 'active' : 'expired';
  db.prepare('UPDATE leases SET state = ?, expires_at = ?, updated_at = ? WHERE ip = ?').run(
    state,
    state === 'expired' ? now() : leaseExpiry(),
    now(),
    l.ip,
  );
  return [
    stamp(
      'lease-updated',
      db.prepare('SELECT * FROM leases WHERE ip = ?').get(l.ip),
      state === 'expired' ? 'expired' : 'renewed',
    ),
  ];
}

const WORKLOAD_STATES = ['running', 'running', 'running', 'degraded', 'scaling', 'pending'] as const;

function workloadTick(db: Db): OutgoingEvent[] {
  const running = db.prepare("SELECT * FROM builds WHERE status = 'running'").all() as Array<{
    id: number;
    workload_id: string;
    project_id: string;
    commit_sha: string;
    started_at: string;
  }>;
  const ripe = running.filter((b) => Date.now() - Date.parse(b.started_at) > 4000);
  if (ripe.length > 0) {
    const b = pick(ripe);
    const ok = Math.random() < 0.75;
    db.prepare('UPDATE builds SET status = ?, finished_at = ? WHERE id = ?').run(
      ok ? 'succeeded' : 'failed',
      now(),
      b.id,
    );
    const w = db.prepare('SELECT name FROM workloads WHERE id = ?').get(b.workload_id) as { name: string };
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
            : { error: pick(['Unit tests failed', 'Image push timed out', 'Lint errors in 3 files']) }),
        },
      },
    ];
  }
  const workloads = db.prepare('SELECT * FROM workloads').all() as Array<{
    id: string;
    project_id: string;
    cluster_id: string;
    name: string;
    status: string;
  }>;
  const w = pick(workloads);
  if (Math.random() < 0.35 && running.length < 3) {
    startBuild(db, w.id, 'ci');
    return [];
  }
  const status = pick(WORKLOAD_STATES.filter((s) => s !== w.status));
  db.prepare('UPDATE workloads SET status = ?, updated_at = ? WHERE id = ?').run(status, now(), w.id);
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
    db
      .prepare("SELECT count(*) AS n FROM workloads WHERE project_id = ? AND status = 'degraded'")
      .get(w.project_id) as { n: number }
  ).n;
  const projectStatus = degraded > 0 ? 'degraded' : 'healthy';
  const p = db.prepare('SELECT status FROM projects WHERE id = ?').get(w.project_id) as { status: string };
  if (p.status !== projectStatus) {
    db.prepare('UPDATE projects SET status = ? WHERE id = ?').run(projectStatus, w.project_id);
    events.push({
      topic: `projects/${w.project_id}/status`,
      type: 'project_status_update',
      data: { project_id: w.project_id, status: projectStatus, previous: p.status },
    });
  }
  return events;
}

let sessionSeq = 100;

function opsTick(db: Db): OutgoingEvent[] {
  const roll = Math.random();
  if (roll < 0.3) {
    const onus = db.prepare('SELECT * FROM onus').all() as Array<{
      id: string;
      olt: string;
      subscriber: string;
      status: string;
    }>;
    const o = pick(onus);
    const status = o.status === 'online' ? pick(['offline', 'degraded']) : 'online';
    const rx =
      status === 'degraded' ? -27 - Math.random() * 3 : status === 'online' ? -18 - Math.random() * 6 : -40;
    db.prepare('UPDATE onus SET status = ?, rx_dbm = ?, updated_at = ? WHERE id = ?').run(
      status,
      rx,
      now(),
      o.id,
    );
    const onu = db.prepare('SELECT * FROM onus WHERE id = ?').get(o.id);
    const type =
      status === 'online' ? 'onu.online' : status === 'offline' ? 'onu.offline' : 'onu.signal_degraded';
    const events: OutgoingEvent[] = [{ topic: 'ops/onu', type, data: onu }];
    if (status !== 'online') {
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
  const sessions = db.prepare('SELECT * FROM radius_sessions').all() as Array<{
    id: string;
    bytes_in: number;
    bytes_out: number;
  }>;
  if (roll < 0.45 || sessions.length < 3) {
    const id = `rs-${++sessionSeq}-${Math.random().toString(36).slice(2, 6)}`;
    const t = now();
    db.prepare('INSERT INTO radius_sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      id,
      `${pick(['ana', 'ben', 'dev', 'lea', 'kai'])}${Math.floor(Math.random() * 90) + 10}@isp.example`,
      pick(['NAS-1', 'NAS-2']),
      `100.64.${Math.floor(Math.random() * 4)}.${Math.floor(Math.random() * 250) + 2}`,
      t,
      t,
      0,
      0,
    );
    return [
      {
        topic: 'ops/radius',
        type: 'session.started',
        data: db.prepare('SELECT * FROM radius_sessions WHERE id = ?').get(id),
      },
    ];
  }
  const s = pick(sessions);
  if (roll < 0.55 && sessions.length > 4) {
    db.prepare('DELETE FROM radius_sessions WHERE id = ?').run(s.id);
    return [{ topic: 'ops/radius', type: 'session.stopped', data: { ...s, updated_at: now() } }];
  }
  db.prepare('UPDATE radius_sessions SET bytes_in = ?, bytes_out = ?, updated_at = ? WHERE id = ?').run(
    s.bytes_in + Math.floor(Math.random() * 5_000_000),
    s.bytes_out + Math.floor(Math.random() * 800_000),
    now(),
    s.id,
  );
  return [
    {
      topic: 'ops/radius',
      type: 'session.updated',
      data: db.prepare('SELECT * FROM radius_sessions WHERE id = ?').get(s.id),
    },
  ];
}

/** Starts the simulators; returns a function that stops them. */
export function startSimulators(db: Db, published: () => void, speed = 1): () => void {
  const every = (ms: number, tick: (db: Db) => OutgoingEvent[]) => {
    const t = setInterval(() => {
      db.transaction(() => enqueue(db, tick(db)))();
      published();
    }, ms / speed);
    t.unref();
    return t;
  };
  const timers = [every(2000, leaseTick), every(3000, workloadTick), every(1500, opsTick)];
  return () => {
    for (const t of timers) clearInterval(t);
  };
}
