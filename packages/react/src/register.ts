import type { AnyEventDefinitions, ClientEvent, EventMeta, UndeclaredEvent } from '@tidings/client';
import type { EventDataOf, EventDefinitions } from '@tidings/protocol';

/**
 * Declares your application's event contract once, so every hook is typed without type
 * arguments. Augment it with the definitions you pass to `createClient`:
 *
 * ```ts
 * declare module '@tidings/react' {
 *   interface Register {
 *     events: typeof events; // from defineEvents({...})
 *   }
 * }
 * ```
 *
 * Without it, payloads are `unknown` and every type name is accepted.
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by applications (declaration merging)
export interface Register {}

/** The registered event definitions, or `undefined` when {@link Register} is not augmented. */
export type RegisteredEvents = Register extends { events: infer D extends AnyEventDefinitions }
  ? D
  : undefined;

/** The declared event types of the registered contract (`never` without one). */
export type RegisteredType = RegisteredEvents extends EventDefinitions<infer S> ? keyof S & string : never;

/** An event as the hooks hand it out: declared types carry typed payloads. */
export type AppEvent = ClientEvent<RegisteredEvents>;

/** The declared types a glob can match (`'lease-*'` → `'lease-added' | 'lease-removed'`). */
export type TypesMatching<P extends string> = P extends `${infer A}*${infer B}`
  ? B extends `${string}*${string}`
    ? Extract<RegisteredType, `${A}${string}`>
    : Extract<RegisteredType, `${A}${string}${B}`>
  : Extract<RegisteredType, P>;

/**
 * The events a type or glob selects: for a declared type, that event with its typed payload; for
 * a glob, the declared events it matches or an undeclared one (narrow on `declared` or `type`);
 * otherwise an undeclared event.
 */
export type AppEventOf<P extends string> = string extends P
  ? AppEvent
  : P extends RegisteredType
    ? Extract<AppEvent, { type: P }>
    : P extends `${string}*${string}`
      ? Extract<AppEvent, { type: TypesMatching<P> }> | UndeclaredEvent
      : UndeclaredEvent;

/** A key of a map from event types or globs: declared types autocomplete, any string is accepted. */
export type TypeKey = RegisteredType | (string & {});

/**
 * A callback type checked bivariantly, so a map can hold callbacks for specific events under an
 * index signature for any type.
 */
export type EventCallback<E, R> = { bivarianceHack(event: E): R }['bivarianceHack'];

/** The payload of event type `K` (`unknown` for undeclared types). */
export type AppDataOf<K extends string> = K extends RegisteredType
  ? EventDataOf<RegisteredEvents, K>
  : unknown;

/** The envelope fields beside a payload. */
export type AppMeta<K extends string> = EventMeta<K>;
