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

/** A glob as a template literal type: `'lease-*'` → `` `lease-${string}` ``. */
export type GlobTemplate<P extends string> = P extends `${infer A}*${infer B}`
  ? `${A}${string}${GlobTemplate<B>}`
  : P;

/** The declared types a glob can match (`'lease-*'` → `'lease-added' | 'lease-removed'`). */
export type TypesMatching<P extends string> = Extract<RegisteredType, GlobTemplate<P>>;

/**
 * What the hooks accept as the event type or glob `P`. Without a registered contract, any
 * string. With one (see {@link Register}), `P` itself when it is a declared type, `'*'`, or a
 * glob matching at least one declared type; otherwise the declared types, so that a misspelt
 * type is a compile error naming the valid ones. A plain `string` is refused too: for events
 * outside the contract, listen to `'*'` and narrow on `declared` and `type`.
 * @example
 * ```ts
 * useEvent('lease-added', …); // ok
 * useEvent('lease-*', …);     // ok: matches declared types
 * useEvent('lease-addded', …); // error: not assignable to '"lease-added" | … | "*"'
 * ```
 */
export type EventPattern<P extends string> = RegisteredEvents extends undefined
  ? P
  : string extends P
    ? KnownPattern
    : P extends '*'
      ? P
      : [TypesMatching<P>] extends [never]
        ? KnownPattern
        : P;

/** The declared types and `'*'`: what an unknown pattern is reported against. */
export type KnownPattern = RegisteredType | '*';

/** The type a map key that {@link EventPattern} refuses gets: the compiler shows this sentence. */
export type UnknownKey<P extends string> = `${P} is not a declared event type, nor a glob matching one`;

/**
 * The value type of key `P` in a map from event types or globs (toasts, invalidation rules):
 * `T` when {@link EventPattern} accepts `P`, else {@link UnknownKey}, so that a misspelt key is a
 * compile error at that key.
 */
export type CheckedKey<P, T> = P extends string ? (EventPattern<P> extends P ? T : UnknownKey<P>) : never;

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

/**
 * A key of a map from event types or globs, as the loose map types use it: declared types
 * autocomplete, any string is accepted. The hooks check each key with {@link EventPattern}.
 */
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
