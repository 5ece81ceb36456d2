import { createParser } from 'eventsource-parser';
import type { JWTPayload } from 'jose';
import { mint, SECRET } from './auth-helpers.js';
import { until } from './helpers.js';

/** The Mercure hub path. */
export const HUB = '/.well-known/mercure';

/** A Mercure JWT signed with the test secret: no `exp` or `sub` unless given, as Mercure apps do. */
export async function mercureToken(
  mercure: Record<string, unknown>,
  extra: JWTPayload = {},
): Promise<string> {
  return mint({ mercure, ...extra }, { noSub: true, expIn: 3600 });
}

/** Mercure options with the test secret for publishers and subscribers. */
export const KEYS = { publisherJwt: { secret: SECRET } } as const;

/** One parsed SSE frame as an SSE client sees it. */
export interface MFrame {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** A Mercure subscription read over `fetch` and eventsource-parser. */
export class MercureReader {
  readonly frames: MFrame[] = [];
  readonly comments: string[] = [];
  raw = '';
  ended = false;
  private done: Promise<void> = Promise.resolve();

  private constructor(
    readonly response: Response,
    private readonly abort: AbortController,
  ) {}

  /** Opens `GET /.well-known/mercure?topic=…`. */
  static async open(
    base: string,
    topics: string[],
    o: {
      token?: string;
      lastEventID?: string;
      lastEventIdHeader?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<MercureReader> {
    const u = new URL(HUB, base);
    for (const t of topics) u.searchParams.append('topic', t);
    if (o.lastEventID !== undefined) u.searchParams.set('lastEventID', o.lastEventID);
    const abort = new AbortController();
    const res = await fetch(u, {
      headers: {
        ...(o.token !== undefined && { authorization: `Bearer ${o.token}` }),
        ...(o.lastEventIdHeader !== undefined && { 'last-event-id': o.lastEventIdHeader }),
        ...o.headers,
      },
      signal: abort.signal,
    });
    if (res.status !== 200) {
      throw new Error(`subscribe answered ${res.status}: ${await res.text()}`);
    }
    const r = new MercureReader(res, abort);
    r.done = r.pump();
    return r;
  }

  private async pump(): Promise<void> {
    if (!this.response.body) return;
    const parser = createParser({
      onEvent: (e) => this.frames.push({ id: e.id, event: e.event, data: e.data }),
      onComment: (c) => this.comments.push(c),
    });
    const dec = new TextDecoder();
    try {
      for await (const chunk of this.response.body) {
        const text = dec.decode(chunk, { stream: true });
        this.raw += text;
        parser.feed(text);
      }
    } catch {
      // aborted
    }
    this.ended = true;
  }

  /** Frames that carry an id (updates), in arrival order. */
  get updates(): MFrame[] {
    return this.frames.filter((f) => f.id !== undefined);
  }

  /** The data of the updates received. */
  get data(): string[] {
    return this.updates.map((f) => f.data);
  }

  async waitFor(cond: (r: MercureReader) => boolean, ms = 5000, what?: () => string): Promise<void> {
    await until(() => cond(this), ms, what ?? (() => `frames so far: ${JSON.stringify(this.frames)}`));
  }

  /** Waits until `n` updates arrived. */
  async waitForUpdates(n: number, ms = 5000): Promise<MFrame[]> {
    await this.waitFor(
      (r) => r.updates.length >= n,
      ms,
      () => `expected ${n} updates, got ${JSON.stringify(this.updates)}`,
    );
    return this.updates;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

/** An update to publish. */
export interface UpdateFields {
  topic: string | string[];
  data?: string;
  private?: boolean;
  id?: string;
  type?: string;
  retry?: string;
}

/** POSTs an update form; returns status, body text and headers. */
export async function publishForm(
  base: string,
  fields: UpdateFields | URLSearchParams,
  o: { token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  let form: URLSearchParams;
  if (fields instanceof URLSearchParams) form = fields;
  else {
    form = new URLSearchParams();
    for (const t of Array.isArray(fields.topic) ? fields.topic : [fields.topic]) form.append('topic', t);
    if (fields.data !== undefined) form.set('data', fields.data);
    if (fields.private) form.set('private', 'on');
    if (fields.id !== undefined) form.set('id', fields.id);
    if (fields.type !== undefined) form.set('type', fields.type);
    if (fields.retry !== undefined) form.set('retry', fields.retry);
  }
  const res = await fetch(new URL(HUB, base), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(o.token !== undefined && { authorization: `Bearer ${o.token}` }),
      ...o.headers,
    },
    body: form.toString(),
  });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** GETs the subscription URL and returns the refusal (aborting a stream that opened). */
export async function subscribeAnswer(
  base: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const abort = new AbortController();
  const res = await fetch(`${base}${HUB}?${query}`, { headers, signal: abort.signal });
  if (res.status === 200) {
    abort.abort();
    return { status: 200, body: '', headers: res.headers };
  }
  return { status: res.status, body: await res.text(), headers: res.headers };
}
