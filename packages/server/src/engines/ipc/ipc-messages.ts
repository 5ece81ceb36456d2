import { HubError } from '../../core/errors.js';
import type { NewEvent, StoredEvent } from '../../core/stored-event.js';
import type { ControlMessage } from '../broker.js';
import type { PresenceEntry } from '../presence-store.js';

/**
 * The channel between a primary process and one of its workers: `process` in a worker, a
 * `cluster.Worker` (or `ChildProcess`) in the primary. Messages are ordered, as IPC is.
 */
export interface IpcPort {
  /** Sends one message to the other side. */
  send(message: unknown): unknown;
  /** Listens for messages from the other side. */
  on(event: 'message', listener: (message: unknown) => void): unknown;
  /** Stops listening. */
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A worker's request to the primary's engine; answered by an {@link IpcReply} with the same `rid`. */
export type IpcRequest = { readonly tidings: 'req'; readonly rid: number } & (
  | { readonly op: 'hello' }
  | { readonly op: 'append'; readonly events: readonly NewEvent[] }
  | {
      readonly op: 'resolve';
      readonly lastEventId: string;
      readonly topics: readonly string[];
      readonly patterns: readonly string[];
    }
  | {
      readonly op: 'readAfter';
      readonly after: string;
      readonly topics: readonly string[];
      readonly patterns: readonly string[];
      readonly limit: number;
    }
  | { readonly op: 'head' }
  | { readonly op: 'prune' }
  | { readonly op: 'control'; readonly message: ControlMessage }
  | {
      readonly op: 'presence';
      readonly kind: 'announce' | 'withdraw';
      readonly entries: readonly PresenceEntry[];
    }
  | { readonly op: 'presenceQuery'; readonly topic: string }
);

/** An error carried over IPC; a `HubError` keeps its status, code and detail. */
export interface IpcError {
  readonly message: string;
  readonly status?: number | undefined;
  readonly code?: string | undefined;
  readonly detail?: Record<string, unknown> | undefined;
  readonly headers?: Record<string, string> | undefined;
}

/** The primary's answer to one request. */
export type IpcReply =
  | { readonly tidings: 'ok'; readonly rid: number; readonly value: unknown }
  | { readonly tidings: 'err'; readonly rid: number; readonly error: IpcError };

/** Pushed by the primary to every worker: stored events in position order, or a control message. */
export type IpcPush =
  | { readonly tidings: 'events'; readonly events: readonly StoredEvent[] }
  | { readonly tidings: 'control'; readonly message: ControlMessage };

/** What `hello` answers: what a worker needs to know about the primary's store. */
export interface IpcHello {
  readonly kind: string;
  /** The key of the primary store's generated ids, from which a worker derives `idAt` locally. */
  readonly idKey: string | undefined;
}

export function toIpcError(e: unknown): IpcError {
  if (e instanceof HubError)
    return { message: e.message, status: e.status, code: e.code, detail: e.detail, headers: e.headers };
  return { message: e instanceof Error ? e.message : String(e) };
}

export function fromIpcError(e: IpcError): Error {
  if (e.status !== undefined && e.code !== undefined)
    return new HubError(e.status, e.code as HubError['code'], e.message, e.detail, e.headers);
  return new Error(e.message);
}

export function isTidingsMessage(m: unknown): m is { tidings: string } {
  return typeof m === 'object' && m !== null && typeof (m as { tidings?: unknown }).tidings === 'string';
}
