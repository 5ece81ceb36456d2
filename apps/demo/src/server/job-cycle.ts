/**
 * The Operations page's job, never stuck at 100 %: a job runner that remembers its latest job and,
 * once that job has completed or been cancelled, starts the next one after a pause, as a nightly
 * batch system would. The `job.latest` command tells a page which job to show.
 */
import { CommandError, type Hub } from '@tidings/server';
import { JobRunner, type JobRunnerOptions, type JobState } from '../../../../examples/job-monitor/jobs.js';

export interface JobCycleOptions extends JobRunnerOptions {
  /** Items of each job the cycle starts. */
  total: number;
  /** How long a finished job stays on screen before the next one starts, in ms. */
  pauseMs: number;
  /** How often the cycle looks at the latest job, in ms. @defaultValue 1000 */
  checkMs?: number;
}

export class CyclingJobRunner extends JobRunner {
  private latestId: string | undefined;
  private finishedAt: number | undefined;
  private readonly cycle: ReturnType<typeof setInterval>;

  constructor(
    hub: Hub,
    private readonly c: JobCycleOptions,
  ) {
    super(hub, c);
    this.cycle = setInterval(() => this.check(), c.checkMs ?? 1000);
    this.cycle.unref();
  }

  /** The job started last (by the cycle or by a user's `job.start`). */
  latest(): JobState {
    if (this.latestId === undefined) {
      throw new CommandError('job-not-found', 'No job has started yet; start one with job.start.', 404);
    }
    return this.get(this.latestId);
  }

  override async start(total: number, by?: string): Promise<JobState> {
    const s = await super.start(total, by);
    this.latestId = s.jobId;
    this.finishedAt = undefined;
    return s;
  }

  override close(): void {
    clearInterval(this.cycle);
    super.close();
  }

  private check(): void {
    if (this.latestId === undefined) return;
    const { status } = this.get(this.latestId);
    if (status === 'running' || status === 'paused') return;
    this.finishedAt ??= Date.now();
    if (Date.now() - this.finishedAt < this.c.pauseMs) return;
    this.start(this.c.total, 'system').catch(() => {
      // The hub is closing; the cycle ends with it.
    });
  }
}

/** Registers `job.latest` (no arguments): the state of the job started last. */
export function installLatestJobCommand(hub: Hub, runner: CyclingJobRunner): void {
  hub.onCommand('job.latest', () => runner.latest());
}
