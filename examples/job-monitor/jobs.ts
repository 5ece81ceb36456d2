/**
 * A simulated job runner driven by hub commands, for the job-monitor page (and the demo app):
 * `job.start`, `job.status`, `job.pause`, `job.resume` and `job.cancel`, with every change
 * published as an event on `jobs/<id>`. Real applications call their own job system from the
 * command handlers instead; the shape is the same.
 */
import { CommandError, type Hub } from '@tidings/server';

/** What every job event and command result carries. */
export interface JobState {
  readonly jobId: string;
  readonly status: 'running' | 'paused' | 'cancelled' | 'completed';
  readonly processed: number;
  readonly total: number;
  /** Whole percent done. */
  readonly pct: number;
  /** Who made the last change (the token's `sub`), if known. */
  readonly by?: string | undefined;
}

/** Options of {@link JobRunner}. */
export interface JobRunnerOptions {
  /** Interval of the work loop, in ms. @defaultValue 100 */
  tickMs?: number;
  /** Items a running job processes per tick. @defaultValue 1 */
  itemsPerTick?: number;
}

/** The topic of a job's events. */
export const jobTopic = (jobId: string): string => `jobs/${jobId}`;

/**
 * Runs simulated jobs: each tick, every running job processes some items and publishes
 * `job.progress`; pausing stops the work (and says so with `job.progress`), cancelling ends it
 * with `job.cancelled`, finishing with `job.completed`.
 */
export class JobRunner {
  private readonly jobs = new Map<string, { -readonly [K in keyof JobState]: JobState[K] }>();
  private readonly timer: ReturnType<typeof setInterval>;
  private seq = 0;
  /** Ticks of the work loop so far (paused jobs too): lets tests wait for work that did not happen. */
  ticks = 0;

  constructor(
    private readonly hub: Hub,
    private readonly o: JobRunnerOptions = {},
  ) {
    this.timer = setInterval(() => this.tick(), o.tickMs ?? 100);
    this.timer.unref();
  }

  get(jobId: string): JobState {
    const j = this.jobs.get(jobId);
    if (!j)
      throw new CommandError('job-not-found', `There is no job "${jobId}"; start one with job.start.`, 404);
    return { ...j };
  }

  async start(total: number, by?: string): Promise<JobState> {
    if (!Number.isInteger(total) || total <= 0 || total > 1_000_000) {
      throw new CommandError(
        'invalid-args',
        'job.start takes {"total": n} with n a whole number from 1 to 1000000.',
        400,
      );
    }
    const jobId = `job-${++this.seq}`;
    this.jobs.set(jobId, { jobId, status: 'running', processed: 0, total, pct: 0, by });
    return this.emit(jobId, 'job.progress');
  }

  async pause(jobId: string, by?: string): Promise<JobState> {
    return this.change(jobId, 'paused', ['running'], by, 'job.progress');
  }

  async resume(jobId: string, by?: string): Promise<JobState> {
    return this.change(jobId, 'running', ['paused'], by, 'job.progress');
  }

  async cancel(jobId: string, by?: string): Promise<JobState> {
    return this.change(jobId, 'cancelled', ['running', 'paused'], by, 'job.cancelled');
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async change(
    jobId: string,
    to: JobState['status'],
    from: readonly JobState['status'][],
    by: string | undefined,
    type: string,
  ): Promise<JobState> {
    const j = this.jobs.get(jobId);
    if (!j) this.get(jobId);
    const job = j as NonNullable<typeof j>;
    if (!from.includes(job.status)) {
      throw new CommandError(
        'invalid-state',
        `Job ${jobId} is ${job.status}, so it cannot be ${to === 'running' ? 'resumed' : to}.`,
        409,
      );
    }
    job.status = to;
    job.by = by;
    return this.emit(jobId, type);
  }

  private async emit(jobId: string, type: string): Promise<JobState> {
    const state = this.get(jobId);
    await this.hub.publish({ topic: jobTopic(jobId), type, data: state });
    return state;
  }

  private tick(): void {
    this.ticks++;
    for (const j of this.jobs.values()) {
      if (j.status !== 'running') continue;
      j.processed = Math.min(j.total, j.processed + (this.o.itemsPerTick ?? 1));
      j.pct = Math.floor((100 * j.processed) / j.total);
      if (j.processed === j.total) j.status = 'completed';
      this.emit(j.jobId, j.status === 'completed' ? 'job.completed' : 'job.progress').catch(() => {
        // The hub is closing; the job is gone with it.
      });
    }
  }
}

/** Registers the job commands on `hub`. Arguments are `{"jobId"}` (`job.start`: `{"total"}`). */
export function installJobCommands(hub: Hub, runner: JobRunner): void {
  const id = (args: unknown): string => {
    const jobId = (args as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId !== 'string' || jobId === '') {
      throw new CommandError('invalid-args', 'Pass the job as {"jobId": "job-1"}.', 400);
    }
    return jobId;
  };
  hub.onCommand('job.start', (args: { total?: number } | null, ctx) =>
    runner.start(args?.total ?? 100, ctx.user),
  );
  hub.onCommand('job.status', (args) => runner.get(id(args)));
  hub.onCommand('job.pause', (args, ctx) => runner.pause(id(args), ctx.user));
  hub.onCommand('job.resume', (args, ctx) => runner.resume(id(args), ctx.user));
  hub.onCommand('job.cancel', (args, ctx) => runner.cancel(id(args), ctx.user));
}
