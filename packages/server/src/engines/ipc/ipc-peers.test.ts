import { describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers.js';
import { ipcPair } from '../../../test/ipc-ports.js';
import { HubError } from '../../core/errors.js';
import { createHub } from '../../hub.js';
import { installMetrics } from '../../plugins/metrics/install-metrics.js';
import { IpcPeersHost, ipcPeers } from './ipc-peers.js';

/** `n` workers, once the host has every hello (channels are not ordered with each other). */
async function workers(host: IpcPeersHost, n: number) {
  const ws = Array.from({ length: n }, () => {
    const { primary, worker } = ipcPair();
    host.attach(primary);
    return { primary, peers: ipcPeers(worker) };
  });
  await until(() => host.workers === n);
  return ws;
}

describe('ipcPeers', () => {
  it('asks every worker, the asker included; one without a handler is left out, one that fails counts as missing', async () => {
    const host = new IpcPeersHost();
    const [a, b, c, d] = await workers(host, 4);
    a?.peers.answer('who', (arg) => `a:${String(arg)}`);
    b?.peers.answer('who', async (arg) => `b:${String(arg)}`);
    d?.peers.answer('who', () => {
      throw new Error('broken');
    });
    // c has no handler (a worker still starting).
    const got = await c?.peers.ask<string>('who', 7);
    expect([...(got?.answers ?? [])].sort()).toEqual(['a:7', 'b:7']);
    expect(got?.missing).toBe(1);
    host.close();
  });

  it('answers without a worker that does not reply in time, and stops waiting for one that exits', async () => {
    const host = new IpcPeersHost({ timeoutMs: 200 });
    const [a, b, c] = await workers(host, 3);
    a?.peers.answer('q', () => 'a');
    b?.peers.answer('q', () => new Promise(() => {}));
    c?.peers.answer('q', () => new Promise(() => {}));
    const asking = a?.peers.ask<string>('q');
    // c exits while the question is open: the hub no longer includes it.
    await new Promise((r) => setTimeout(r, 20));
    if (c) host.detach(c.primary);
    expect(await asking).toEqual({ answers: ['a'], missing: 1 });
    host.close();
  });

  it('fails questions with 503 once closed', async () => {
    const host = new IpcPeersHost();
    const [a] = await workers(host, 1);
    a?.peers.close();
    const err = await a?.peers.ask('q').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(503);
    host.close();
  });
});

describe('installMetrics with peers', () => {
  it("serves every worker's metrics aggregated: counters and connection gauges summed, the largest queue as a maximum", async () => {
    const host = new IpcPeersHost();
    const ws = await workers(host, 3);
    const hubs = ws.map((w) => {
      const hub = createHub();
      installMetrics(hub, { peers: w.peers, processMetrics: false });
      return hub;
    });
    // Three publishes on the first worker, one on the second.
    for (const [i, n] of [3, 1, 0].entries()) {
      for (let k = 0; k < n; k++) await hubs[i]?.publish({ topic: 'orders/1', type: 'placed', data: { k } });
    }
    for (const h of hubs.slice(0, 2)) {
      const res = await h.fetch(new Request('http://hub/metrics'));
      const text = await res.text();
      expect(res.status).toBe(200);
      const lines = text.split('\n');
      expect(lines.filter((l) => l.startsWith('tidings_events_published_total{'))).toEqual([
        'tidings_events_published_total{topic="orders",type="placed"} 4',
      ]);
      expect(lines.filter((l) => l.startsWith('tidings_publish_duration_seconds_count'))).toEqual([
        'tidings_publish_duration_seconds_count 4',
      ]);
      expect(lines).toContain('tidings_outbound_buffered_bytes_max 0');
    }
    for (const h of hubs) await h.close();
    host.close();
  });

  it('refuses the scrape with 503 when a worker does not report, rather than under-count', async () => {
    const host = new IpcPeersHost({ timeoutMs: 100 });
    const [a, b] = await workers(host, 2);
    const hub = createHub();
    installMetrics(hub, { peers: a?.peers, processMetrics: false });
    b?.peers.answer('tidings:metrics', () => new Promise(() => {}));
    const res = await hub.fetch(new Request('http://hub/metrics'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "1 of this hub's worker processes did not report their metrics in time, so the scrape is refused rather than under-counted; retry, and if it persists look for a stuck worker in the logs.",
    );
    await hub.close();
    host.close();
  });
});
