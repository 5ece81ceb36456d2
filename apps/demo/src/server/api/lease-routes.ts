import { z } from 'zod';
import { enqueue, now, type OutgoingEvent } from '../app-db.js';
import { ApiError, parseWith, readJson } from '../http-util.js';
import { leaseExpiry, POOLS, randomHostname, randomMac } from '../seed-data.js';
import type { ApiRoute } from './api-route.js';

const NewLease = z.object({
  ip: z.ipv4({ error: 'Give an IPv4 address such as 10.0.1.77.' }).optional(),
  mac: z
    .string()
    .regex(
      /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i,
      'Give the MAC address as six hex pairs, e.g. aa:bb:cc:dd:ee:ff.',
    )
    .optional(),
  hostname: z
    .string()
    .trim()
    .min(1, 'Give a hostname.')
    .max(63, 'A hostname has at most 63 characters.')
    .optional(),
  pool: z.enum(
    POOLS.map((p) => p.name),
    { error: `Choose a pool: ${POOLS.map((p) => p.name).join(', ')}.` },
  ),
});

const leaseEvent = (type: string, lease: unknown, change: string): OutgoingEvent => ({
  topic: 'leases',
  type,
  data: { lease, timestamp: now(), change_type: change },
});

/** The DHCP leases page: the leases, pool and state counts, and adding a lease. */
export const leaseRoutes: ApiRoute[] = [
  {
    method: 'GET',
    pattern: /^\/api\/leases$/,
    auth: true,
    handler: (ctx) => async () =>
      ctx.db.prepare('SELECT * FROM leases ORDER BY pool, CAST(substr(ip, 8) AS INTEGER)').all(),
  },
  {
    method: 'GET',
    pattern: /^\/api\/stats\/pools$/,
    auth: true,
    handler: (ctx) => async () => {
      const counts = ctx.db
        .prepare("SELECT pool, count(*) AS used FROM leases WHERE state != 'expired' GROUP BY pool")
        .all() as Array<{ pool: string; used: number }>;
      return POOLS.map((p) => ({
        pool: p.name,
        size: p.size,
        used: counts.find((c) => c.pool === p.name)?.used ?? 0,
      }));
    },
  },
  {
    method: 'GET',
    pattern: /^\/api\/stats\/status$/,
    auth: true,
    handler: (ctx) => async () =>
      ctx.db.prepare('SELECT state, count(*) AS count FROM leases GROUP BY state ORDER BY state').all(),
  },
  {
    method: 'POST',
    pattern: /^\/api\/leases$/,
    auth: true,
    handler: (ctx) => async (req) => {
      const input = parseWith(NewLease, await readJson(req));
      const pool = POOLS.find((p) => p.name === input.pool) as (typeof POOLS)[number];
      const taken = new Set(
        (ctx.db.prepare('SELECT ip FROM leases WHERE pool = ?').all(pool.name) as Array<{ ip: string }>).map(
          (r) => r.ip,
        ),
      );
      let ip = input.ip;
      if (ip !== undefined) {
        if (!ip.startsWith(pool.prefix))
          throw new ApiError(
            400,
            'invalid-input',
            `Field "ip": ${ip} is not in pool ${pool.name} (${pool.prefix}0/24).`,
          );
        if (taken.has(ip))
          throw new ApiError(
            409,
            'conflict',
            `The address ${ip} is already leased; renew it or choose another address.`,
          );
      } else {
        for (let i = 10; i < 10 + pool.size && ip === undefined; i++)
          if (!taken.has(`${pool.prefix}${i}`)) ip = `${pool.prefix}${i}`;
        if (ip === undefined)
          throw new ApiError(409, 'pool-full', `Pool ${pool.name} is full; remove a lease first.`);
      }
      const lease = {
        ip,
        mac: input.mac ?? randomMac(),
        hostname: input.hostname ?? randomHostname(),
        pool: pool.name,
        state: 'active',
        expires_at: leaseExpiry(),
        updated_at: now(),
      };
      ctx.db.transaction(() => {
        ctx.db.prepare('INSERT INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)').run(...Object.values(lease));
        enqueue(ctx.db, [leaseEvent('lease-added', lease, 'added')]);
      })();
      ctx.published();
      return lease;
    },
  },
];
