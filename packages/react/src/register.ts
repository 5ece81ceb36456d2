import type { AnyEventDefinitions, ClientEvent, EventMeta } from '@tidings/client';
import type { EventDataOf } from '@tidings/protocol';

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
export type RegisteredType = RegisteredEvents extends AnyEventDefinitions
  ? Extract<keyof RegisteredEvents['schemas'], string>
  : never;

/** An event as the hooks hand it out: declared types carry typed payloads. */
export type AppEvent = ClientEvent<RegisteredEvents>;

/** The event of type `K`: typed when `K` is declared, otherwise the undeclared shape. */
export type AppEventOf<K extends string> = K extends RegisteredType
  ? Extract<AppEvent, { type: K }>
  : AppEvent;

/** The payload of event type `K` (`unknown` for undeclared types). */
export type AppDataOf<K extends string> = K extends RegisteredType
  ? EventDataOf<RegisteredEvents, K>
  : unknown;

/** The envelope fields beside a payload. */
export type AppMeta<K extends string> = EventMeta<K>;
