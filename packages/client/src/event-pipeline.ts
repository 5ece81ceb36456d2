import {
  type EventDefinitions,
  type EventValidation,
  type ForceLogoutPayload,
  formatIssues,
} from '@tidings/protocol';
import type { InvalidEvent, ResetInfo, UndeclaredEvent, ValidationIssue } from './client-event.js';
import type { DebugLog } from './debug-log.js';
import { RecentIds } from './recent-ids.js';
import type { SseFrame } from './transport.js';

/** Where the pipeline delivers, in wire order. */
export interface PipelineSink {
  event(event: TidingsEventWithFlag): void;
  reset(info: ResetInfo): void;
  forceLogout(payload: ForceLogoutPayload): void;
  invalid(event: InvalidEvent): void;
}

/** A delivered event before it is typed for the caller. */
export type TidingsEventWithFlag = Omit<UndeclaredEvent, 'declared'> & { readonly declared: boolean };

/** Ids remembered for de-duplication, at least. */
const MIN_RECENT_IDS = 1000;

function plainIssues(issues: readonly { message: string; path?: readonly unknown[] | undefined }[]) {
  // Plain data only: the issues may be relayed to other tabs by structured clone.
  return issues.map(
    (i): ValidationIssue => ({
      message: String(i.message),
      ...(i.path && {
        path: i.path.map((p) =>
          typeof p === 'object' && p !== null && 'key' in p ? (p.key as PropertyKey) : (p as PropertyKey),
        ),
      }),
    }),
  );
}

/**
 * Turns frames into deliveries, one tab's worth: drops duplicates (the same id and envelope),
 * tracks the resume id,
 * parses the envelope, checks the payload against its schema, and hands results to the sink in
 * the order the frames arrived, even when a schema validates asynchronously. A bad payload is
 * reported, never thrown.
 */
export class EventPipeline {
  lastEventId: string | null;
  lastEventAt: number | null = null;
  received = 0;
  duplicates = 0;
  invalid = 0;
  private readonly recent: RecentIds;
  /** Set while an asynchronous validation is pending; later frames queue behind it. */
  private tail: Promise<void> | undefined;

  constructor(
    private readonly definitions: EventDefinitions | undefined,
    lastEventId: string | undefined,
    bufferSize: number,
    private readonly now: () => number,
    private readonly sink: PipelineSink,
    private readonly log: DebugLog,
  ) {
    this.lastEventId = lastEventId ?? null;
    this.recent = new RecentIds(Math.max(MIN_RECENT_IDS, bufferSize));
  }

  handle(frame: SseFrame): void {
    if (frame.event === 'reset') {
      const p = parse(frame.data) as Partial<ResetInfo> | undefined;
      if (typeof p?.reason === 'string') {
        const info: ResetInfo = {
          reason: p.reason,
          lastEventId: typeof p.lastEventId === 'string' ? p.lastEventId : null,
        };
        this.enqueue(() => this.sink.reset(info));
      }
      return;
    }
    if (frame.event === 'force-logout') {
      const p = parse(frame.data) as Partial<ForceLogoutPayload> | undefined;
      const reason = typeof p?.reason === 'string' ? p.reason : 'The hub ended this session.';
      this.enqueue(() => this.sink.forceLogout({ reason }));
      return;
    }
    const id = frame.id;
    if (id === undefined || id === '') {
      this.log.debug(`ignored a "${frame.event ?? 'message'}" frame without an id`);
      return;
    }
    // A duplicate is the same id with the same envelope (topic, type, the millisecond the hub
    // stamped in `time`, payload: its first 2,000 characters and length, so keys stay small). The id
    // alone is not enough: a supplied id is unique on the hub only per publisher and topic, and
    // dropping another event with the same id would let one publisher suppress another's. A
    // replay of an event already received is byte-identical, so it is still dropped.
    if (this.recent.seen(id + frame.data.slice(0, 2000) + frame.data.length)) {
      this.duplicates++;
      this.log.debug(`dropped duplicate ${id}`);
      return;
    }
    // The resume point moves on receipt, valid or not: the hub must not send this event again.
    this.lastEventId = id;
    this.lastEventAt = this.now();
    const type = frame.event ?? 'message';
    const env = parse(frame.data) as Partial<UndeclaredEvent> | undefined;
    if (!env || typeof env.topic !== 'string' || !('data' in env)) {
      this.enqueue(() =>
        this.reject(
          {
            id,
            type,
            topic: typeof env?.topic === 'string' ? env.topic : undefined,
            data: env ?? frame.data,
          },
          [{ message: 'The frame is not a Tidings event envelope ({"id","topic","type","time","data"}).' }],
        ),
      );
      return;
    }
    const base = { id, topic: env.topic, type, time: typeof env.time === 'string' ? env.time : '' };
    const declared = this.definitions?.has(type) === true;
    this.enqueue(() => {
      let v: EventValidation | Promise<EventValidation>;
      try {
        v = this.definitions ? this.definitions.validate(type, env.data) : { ok: true, value: env.data };
      } catch (e) {
        v = {
          ok: false,
          issues: [{ message: `The schema threw: ${e instanceof Error ? e.message : String(e)}` }],
        };
      }
      const settle = (r: EventValidation) => {
        if (r.ok) this.deliver({ ...base, data: r.value, declared });
        else this.reject({ ...base, data: env.data }, plainIssues(r.issues));
      };
      if (v instanceof Promise) {
        return v.then(settle, (e: unknown) =>
          this.reject({ ...base, data: env.data }, [
            { message: `The schema failed: ${e instanceof Error ? e.message : String(e)}` },
          ]),
        );
      }
      settle(v);
      return undefined;
    });
  }

  private deliver(event: TidingsEventWithFlag): void {
    this.received++;
    this.sink.event(event);
  }

  private reject(e: Omit<InvalidEvent, 'message' | 'issues'>, issues: ValidationIssue[]): void {
    this.invalid++;
    const message = `Event ${e.id} (${e.type}) is invalid: ${formatIssues(issues)}`;
    this.log.debug(message);
    this.sink.invalid({ ...e, message, issues });
  }

  /** Runs `step` now, or after the pending asynchronous steps, preserving arrival order. */
  private enqueue(step: () => undefined | Promise<void> | void): void {
    if (this.tail === undefined) {
      const r = step();
      if (r) this.track(r);
      return;
    }
    this.track(this.tail.then(step));
  }

  private track(p: Promise<void>): void {
    const t: Promise<void> = p
      .catch((e: unknown) => this.log.error('an event step failed', e))
      .then(() => {
        if (this.tail === t) this.tail = undefined;
      });
    this.tail = t;
  }
}

function parse(s: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(s) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
