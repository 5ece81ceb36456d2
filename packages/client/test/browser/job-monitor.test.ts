import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  installJobCommands,
  JobRunner,
  type JobRunner as JobRunnerType,
} from '../../../../examples/job-monitor/jobs.js';
import { jobMonitorPage } from '../../../../examples/job-monitor/page.js';
import { type BrowserRig, hasChromium, startRig } from './browser-harness.js';

let rig: BrowserRig | undefined;
let runner: JobRunnerType | undefined;
afterEach(async () => {
  runner?.close();
  runner = undefined;
  await rig?.close();
  rig = undefined;
});

/** Polls an asynchronous condition. */
async function eventually(cond: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Shown {
  status: string;
  processed: number;
  bar: number;
  conn: string;
  transport: string;
  error: string;
  pause: boolean;
  resume: boolean;
  cancel: boolean;
}

/** What the page shows, read from the DOM as a person would see it. */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const text = (id: string) => document.getElementById(id)?.textContent ?? '';
    const enabled = (id: string) => !(document.getElementById(id) as HTMLButtonElement).disabled;
    return {
      status: text('status'),
      processed: Number(text('count').split(' / ')[0]),
      bar: (document.getElementById('bar') as HTMLProgressElement).value,
      conn: text('conn'),
      transport: text('transport'),
      error: text('error'),
      pause: enabled('pause'),
      resume: enabled('resume'),
      cancel: enabled('cancel'),
    };
  });
}

// Generous: Chromium shares two cores with every other test run on the machine.
describe.skipIf(!hasChromium)('the job monitor in Chromium', { timeout: 90_000 }, () => {
  for (const transport of ['websocket', 'sse'] as const) {
    it(`pauses, resumes and cancels a running job (${transport})`, async () => {
      rig = await startRig({ heartbeatMs: 1000 }, { page: jobMonitorPage() });
      runner = new JobRunner(rig.hub, { tickMs: 20 });
      installJobCommands(rig.hub, runner);
      const job = await runner.start(100_000);
      const page = await rig.openTab(`?job=${job.jobId}&transport=${transport}`);

      await eventually(async () => (await shown(page)).processed > 5, 'progress on the page');
      const running = await shown(page);
      expect(running).toMatchObject({
        status: 'running',
        conn: 'connected',
        transport,
        pause: true,
        resume: false,
      });
      expect(rig.hub.connections().map((c) => c.transport)).toEqual([transport]);

      await page.click('#pause');
      await eventually(async () => (await shown(page)).status === 'paused', 'paused on the page');
      expect(runner.get(job.jobId).status).toBe('paused');
      const pausedAt = runner.get(job.jobId).processed;
      // The work loop goes on ticking; the paused job must not move.
      const ticks = runner.ticks;
      await eventually(() => runner!.ticks > ticks + 10, 'ten more ticks');
      expect(runner.get(job.jobId).processed).toBe(pausedAt);
      expect(await shown(page)).toMatchObject({
        processed: pausedAt,
        pause: false,
        resume: true,
        cancel: true,
      });

      await page.click('#resume');
      await eventually(async () => (await shown(page)).processed > pausedAt, 'progress after resuming');
      expect((await shown(page)).status).toBe('running');
      expect(runner.get(job.jobId).status).toBe('running');

      await page.click('#cancel');
      await eventually(async () => (await shown(page)).status === 'cancelled', 'cancelled on the page');
      const cancelledAt = runner.get(job.jobId).processed;
      const after = runner.ticks;
      await eventually(() => runner!.ticks > after + 10, 'ten more ticks');
      expect(runner.get(job.jobId)).toMatchObject({ status: 'cancelled', processed: cancelledAt });
      expect(await shown(page)).toMatchObject({
        processed: cancelledAt,
        pause: false,
        resume: false,
        cancel: false,
      });
      expect((await shown(page)).error).toBe('');

      // A refused command shows the hub's sentence.
      await page.evaluate(() => {
        const b = document.getElementById('resume') as HTMLButtonElement;
        b.disabled = false;
        b.click();
      });
      await eventually(async () => (await shown(page)).error !== '', 'the error on the page');
      expect((await shown(page)).error).toBe(`Job ${job.jobId} is cancelled, so it cannot be resumed.`);

      if (transport === 'websocket') {
        const latency = await page.evaluate(
          () =>
            (window as unknown as { monitor: { client: { latencyMs: number | null } } }).monitor.client
              .latencyMs,
        );
        expect(Number.isFinite(latency)).toBe(true);
        expect(latency).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it("transport 'auto' falls back to SSE in the browser when the upgrade is refused, and commands still work", async () => {
    rig = await startRig({}, { page: jobMonitorPage(), webSocket: false });
    runner = new JobRunner(rig.hub, { tickMs: 20 });
    installJobCommands(rig.hub, runner);
    const job = await runner.start(100_000);
    const page = await rig.openTab(`?job=${job.jobId}&transport=auto`);
    await eventually(async () => (await shown(page)).processed > 0, 'progress on the page');
    expect((await shown(page)).transport).toBe('sse');
    const remembered = await page.evaluate(() => Object.keys(localStorage));
    expect(remembered).toEqual([expect.stringMatching(/^tidings-transport:ws:/)]);
    await page.click('#pause');
    await eventually(async () => (await shown(page)).status === 'paused', 'paused on the page');
    expect(runner.get(job.jobId).status).toBe('paused');
  });
});
