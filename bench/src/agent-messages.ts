import type { LedgerSummary } from './delivery-ledger.js';

/** Runner → agent: open one SSE stream per path. */
export interface OpenCommand {
  t: 'open';
  port: number;
  /** One request path per subscriber, in subscriber order. */
  paths: string[];
  /** Source addresses, used round-robin (several 127.0.0.x avoid running out of ports). */
  localAddresses: string[];
  /** Read `id:` lines and resume with Last-Event-ID after a drop, until told to close. */
  reconnect: boolean;
}

/** Runner → agent: loss/duplicate/order totals given how many events each subscriber should have. */
export interface CollectCommand {
  t: 'collect';
  /** Events published to each subscriber's topic: one number for all, or one per subscriber. */
  expected: number | number[];
}

export type AgentCommand = OpenCommand | CollectCommand | { t: 'reset-latency' } | { t: 'close' };

/** Agent → runner, every 20 ms. */
export interface TickMessage {
  t: 'tick';
  /** Streams with a 200 response that are still open. */
  open: number;
  /** Connections that failed (refused, non-200, dropped) since the start. */
  failed: number;
  /** Events received (in order or not). */
  received: number;
  /** Socket reads handled (each one a read syscall and a JS callback): events per read is what coalescing buys. */
  reads: number;
  /** The lowest "highest sequence number seen" over this agent's subscribers. */
  low: number;
  /** This process's CPU seconds (user + system, all threads). */
  cpu: number;
  /** The first few failure messages. */
  errors: string[];
}

/** Agent → runner, answering {@link CollectCommand}. */
export interface CollectedMessage {
  t: 'collected';
  summary: LedgerSummary;
  latency: { sparse: Array<[number, number]>; max: number; sum: number };
  cpu: number;
}

export type AgentMessage = TickMessage | CollectedMessage;
