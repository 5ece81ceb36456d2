import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { TidingsEvent } from './envelope.js';

/**
 * A map from event type to the schema of its payload. Any Standard Schema library works
 * (zod 3.24+/4, valibot, arktype…); Tidings itself depends on none of them.
 */
export type EventSchemas = { readonly [type: string]: StandardSchemaV1 };

/** The result of checking a payload: the parsed value, or the schema's issues. */
export type EventValidation<T = unknown> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly StandardSchemaV1.Issue[] };

/**
 * A typed contract for a set of events, shared by publishers (server) and subscribers (client),
 * like a tRPC router but for pushed events. Create it with {@link defineEvents}.
 */
export interface EventDefinitions<S extends EventSchemas = EventSchemas> {
  /** The schemas as given. */
  readonly schemas: S;
  /** The declared event types. */
  readonly types: ReadonlyArray<keyof S & string>;
  /** Whether `type` is declared. */
  has(type: string): type is keyof S & string;
  /**
   * Checks `data` against the schema declared for `type`. Undeclared types pass unchanged.
   * Returns a Promise only when the schema library validates asynchronously.
   */
  validate(type: string, data: unknown): EventValidation | Promise<EventValidation>;
}

/** The declared event types of a definition. */
export type EventTypeOf<D> = D extends EventDefinitions<infer S> ? keyof S & string : string;

/** The payload type of event `K` in definition `D` (the schema's output), `unknown` if undeclared. */
export type EventDataOf<D, K extends string> =
  D extends EventDefinitions<infer S>
    ? K extends keyof S
      ? StandardSchemaV1.InferOutput<S[K]>
      : unknown
    : unknown;

/** The payload a publisher passes for event `K` (the schema's input). */
export type EventInputOf<D, K extends string> =
  D extends EventDefinitions<infer S>
    ? K extends keyof S
      ? StandardSchemaV1.InferInput<S[K]>
      : unknown
    : unknown;

/** A discriminated union of every declared event, for `'*'` listeners: narrow on `type`. */
export type AnyEventOf<D> =
  D extends EventDefinitions<infer S>
    ? { [K in keyof S & string]: TidingsEvent<StandardSchemaV1.InferOutput<S[K]>, K> }[keyof S & string]
    : TidingsEvent;

function toValidation(r: StandardSchemaV1.Result<unknown>): EventValidation {
  return r.issues ? { ok: false, issues: r.issues } : { ok: true, value: r.value };
}

/**
 * Declares the events of an application once, for the server and the client.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * export const events = defineEvents({
 *   'lease-added': z.object({ ip: z.string(), mac: z.string() }),
 *   'lease-removed': z.object({ ip: z.string() }),
 * });
 * ```
 * @see https://standardschema.dev for the schema interface accepted.
 */
export function defineEvents<const S extends EventSchemas>(schemas: S): EventDefinitions<S> {
  for (const [type, schema] of Object.entries(schemas)) {
    if (!schema || typeof schema !== 'object' || !('~standard' in schema)) {
      throw new TypeError(
        `The schema for event "${type}" is not a Standard Schema; pass a zod, valibot or arktype schema.`,
      );
    }
  }
  const types = Object.freeze(Object.keys(schemas)) as ReadonlyArray<keyof S & string>;
  return {
    schemas,
    types,
    has: (type: string): type is keyof S & string => Object.hasOwn(schemas, type),
    validate(type, data) {
      if (!Object.hasOwn(schemas, type)) return { ok: true, value: data };
      const schema = schemas[type] as StandardSchemaV1;
      const r = schema['~standard'].validate(data);
      return r instanceof Promise ? r.then(toValidation) : toValidation(r);
    },
  };
}

/** Formats schema issues as one readable sentence, e.g. for logs and `onInvalid` handlers. */
export function formatIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .map((i) => {
      const path = i.path
        ?.map((p) => (typeof p === 'object' && p !== null ? String(p.key) : String(p)))
        .join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}
