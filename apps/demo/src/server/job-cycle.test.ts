/** The job cycle on a real (in-process) hub: a finished job is followed by the next, after the pause. */
import { createHub, type Hub } from '@tidings/server';
import { afterEach, describe, expect, it } from 'vitest';
import { CyclingJobRunner } from './job-cycle.js';

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting until ${what}.`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('CyclingJobRunner', () => {
  let hub: Hub;
  let runner: CyclingJobRunner;
  afterEach(async () => {
    runner.close();
    await hub.close();
  });

  it('starts the next job once the latest completed and the pause passed', async () => {
    hub = createHub();
    runner = new CyclingJobRunner(hub, { tickMs: 5, total: 3, pauseMs: 200, checkMs: 10 });
    expect(() => runner.latest()).toThrow('No job has started yet; start one with job.start.');
    await runner.start(3, 'system');
    await until('job-1 completed', () => runner.latest().status === 'completed');
    const completedAt = Date.now();
    expect(runner.latest()).toMatchObject({ jobId: 'job-1', pct: 100 });
    await until('job-2 started', () => runner.latest().jobId === 'job-2');
    expect(Date.now() - completedAt).toBeGreaterThanOrEqual(180);
    expect(runner.latest()).toMatchObject({
      status: expect.stringMatching(/running|completed/),
      by: 'system',
    });
  });

  it('follows a job a user started, and waits while the latest job is paused', async () => {
    hub = createHub();
    runner = new CyclingJobRunner(hub, { tickMs: 5, total: 1000, pauseMs: 0, checkMs: 10 });
    await runner.start(1000, 'system');
    const mine = await runner.start(1000, 'carol');
    expect(runner.latest().jobId).toBe(mine.jobId);
    await runner.pause(mine.jobId, 'carol');
    await new Promise((r) => setTimeout(r, 100));
    expect(runner.latest()).toMatchObject({ jobId: 'job-2', status: 'paused' });
    await runner.cancel(mine.jobId, 'carol');
    await until('job-3 started', () => runner.latest().jobId === 'job-3');
    expect(runner.latest().by).toBe('system');
  });
});
