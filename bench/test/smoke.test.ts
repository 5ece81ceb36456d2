// A tiny bounded run of the real generator against the real hub (built CLI) and the naive peer:
// proves the whole path (processes, raw sockets, IPC, accounting) without measuring anything.
import { describe, expect, it } from 'vitest';
import { fanOutRun } from '../src/fan-out-run.js';
import { Progress } from '../src/progress.js';
import type { BenchContext } from '../src/scenario-types.js';
import { naiveKind, tidingsKind } from '../src/servers.js';

const ctx: BenchContext = {
  progress: new Progress({ isTTY: false, write: () => true } as unknown as NodeJS.WriteStream),
  serverCpus: undefined,
  generatorCores: 2,
  localAddresses: ['127.0.0.1', '127.0.0.2'],
  durationS: 30,
  payloadBytes: 100,
  // Never refuse here: the machine running tests is busy and no figure of this run is reported.
  saturation: Number.POSITIVE_INFINITY,
  servers: [],
};

describe('bench smoke run (20 subscribers on 2 topics, 50 events)', () => {
  for (const kind of [tidingsKind({ store: 'memory' }), naiveKind]) {
    it(`counts every event once and in order against ${kind.name}`, { timeout: 60_000 }, async () => {
      const row = await fanOutRun(ctx, kind, { subscribers: 20, topics: 2, durationS: 30, maxEvents: 50 });
      expect(row.notes).toEqual([]);
      expect(row.verdict).toBe('ok');
      expect(row.metrics.events).toBe(50);
      // 25 events per topic, 10 subscribers per topic.
      expect(row.metrics.deliveries).toBe(500);
      expect([row.metrics.lost, row.metrics.duplicates, row.metrics.reordered]).toEqual([0, 0, 0]);
      expect(row.metrics.p99Ms).toBeGreaterThan(0);
    });
  }
});
