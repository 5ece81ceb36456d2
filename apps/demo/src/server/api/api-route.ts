import type { IncomingMessage } from 'node:http';
import type { Db } from '../app-db.js';
import type { DemoUser } from '../users.js';

/** How the request was signed in: the browser's session cookie, or a script's bearer token. */
export type SignedInBy = 'cookie' | 'bearer';

/** What every route may use: the app database, the token secret and the hub. */
export interface ApiContext {
  db: Db;
  secret: Uint8Array;
  hubUrl: string;
  publisherKey: string;
  /** Called after a change queued events. */
  published: () => void;
  health: () => Record<string, unknown>;
}

/** Answers one request; `params` are the route pattern's groups. */
export type Handler = (req: IncomingMessage, params: string[], url: URL) => Promise<unknown>;
/** One `/api/…` route: which requests it takes and how it answers them. */
export interface ApiRoute {
  method: string;
  pattern: RegExp;
  auth: boolean;
  /**
   * Accepts a token up to 10 minutes past its expiry: the hub ends a stream when its token
   * expires, and the client then trades that token for a fresh one here.
   */
  refresh?: boolean;
  /** `by`: how an authenticated request signed in (cookie routes set cookies only for browsers). */
  handler: (ctx: ApiContext, user: DemoUser | undefined, by: SignedInBy | undefined) => Handler;
}
