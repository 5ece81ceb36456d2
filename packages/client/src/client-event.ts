import type { EventDataOf, EventDefinitions, ResetReason, TidingsEvent } from '@tidings/protocol';

/**
 * An event as the client delivers it to `'*'` listeners and keeps in `client.events`. `declared`
 * tells events of a type from the `events` definitions (payload checked and typed) from others
 * (payload `unknown`); test it first, then narrow on `type`.
 */
export type ClientEvent<D> =
  D extends EventDefinitions<infer S>
    ?
        | {
            [K in keyof S & string]: TidingsEvent<EventDataOf<D, K>, K> & { readonly declared: true };
          }[keyof S & string]
        | UndeclaredEvent
    : UndeclaredEvent;

/** An event whose type is not in the `events` definitions; its payload is not checked. */
export type UndeclaredEvent = TidingsEvent<unknown> & { readonly declared: false };

/** The envelope fields of an event, passed to typed listeners beside the payload. */
export interface EventMeta<K extends string = string> {
  /** The event id (what the client resumes from). */
  readonly id: string;
  readonly topic: string;
  readonly type: K;
  /** When the hub accepted the event, ISO-8601 UTC. */
  readonly time: string;
}

/** One problem found by a schema. */
export interface ValidationIssue {
  readonly message: string;
  /** Where in the payload, e.g. `['lease', 'ip']`. */
  readonly path?: readonly PropertyKey[] | undefined;
}

/** An event that failed its schema, or that is not a Tidings envelope at all. */
export interface InvalidEvent {
  readonly id: string;
  /** The SSE event type. */
  readonly type: string;
  /** The topic, when the envelope could be read. */
  readonly topic: string | undefined;
  /** The payload as received (the raw `data:` text when it was not JSON). */
  readonly data: unknown;
  /** A sentence naming every problem, for logs. */
  readonly message: string;
  readonly issues: readonly ValidationIssue[];
}

/** Counters since the client was created. */
export interface ClientStats {
  /** Events delivered to listeners. */
  readonly received: number;
  /** Events dropped because their id had already been delivered. */
  readonly duplicates: number;
  /** Events that failed validation (see `onInvalid`). */
  readonly invalid: number;
}

/**
 * Event definitions with any schemas: the constraint of the client's type parameter.
 * `EventDefinitions<EventSchemas>` would not do, since `keyof S` in its members makes `S` invariant.
 */
// biome-ignore lint/suspicious/noExplicitAny: any schemas at all; the client infers the precise ones
export type AnyEventDefinitions = EventDefinitions<any>;

/**
 * Events may have been missed: refetch your state, then carry on live. Delivered to `onReset`.
 * - `unknown-id`, `history-truncated`: the hub could not replay from the id the client resumed
 *   from (it sends `event: reset`).
 * - `no-resume-point`: the client reconnected without any event id to resume from (none had
 *   arrived yet), so whatever was published while it was away cannot be replayed.
 */
export interface ResetInfo {
  readonly reason: ResetReason | 'no-resume-point';
  /** The id the client tried to resume from; `null` for `no-resume-point`. */
  readonly lastEventId: string | null;
}
