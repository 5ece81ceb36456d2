import { HubError } from '../core/errors.js';
import type { HubRequest } from './hub-request.js';
import type { RouteHandler, RouteParams } from './route.js';

const NO_PARAMS: RouteParams = Object.freeze({});
/** The paths a 404 answer names first: where clients stream and publish. */
const FIRST: readonly string[] = ['/events', '/ws', '/publish', '/healthz'];
/** A `:name` or `*name` segment, shown as `<name>` to a reader. */
const PARAM = /[:*]([A-Za-z0-9_]+)/g;

/** A path with parameters: `:name` takes one segment, a trailing `*name` the rest (maybe empty). */
interface ParamRoute {
  readonly segments: readonly string[];
  readonly rest: string | undefined;
  readonly methods: Map<string, RouteHandler>;
}

/** What the router found for a request. */
export interface RouteMatch {
  readonly handler: RouteHandler;
  readonly params: RouteParams;
}

/**
 * The hub's routes by method and path. Plain paths are found with one map lookup; paths with
 * parameters (`/commands/*name`) are tried in the order added, after the plain ones.
 */
export class Router {
  private readonly plain = new Map<string, Map<string, RouteHandler>>();
  private readonly withParams: ParamRoute[] = [];

  /** Adds (or replaces) the handler of `method` on `path`. */
  add(method: string, path: string, handler: RouteHandler): void {
    const methods =
      path.includes('/:') || path.includes('/*') ? this.paramRoute(path) : this.plainRoute(path);
    methods.set(method.toUpperCase(), handler);
  }

  /**
   * The handler of a request and its path parameters.
   * @throws HubError 404 for a path no route serves, 405 (with `Allow`) for a method it does not.
   */
  find(req: HubRequest): RouteMatch {
    const methods = this.plain.get(req.path);
    if (methods) return this.pick(req, methods, NO_PARAMS);
    for (const r of this.withParams) {
      const params = match(r, req.path);
      if (params) return this.pick(req, r.methods, params);
    }
    throw new HubError(404, 'not-found', `There is nothing at ${req.path}; the hub serves ${this.paths()}.`);
  }

  /**
   * Every path a route serves, for the 404 answer: the streams and publishing first, then the
   * others in the order they were added (so `/ws` only when the WebSocket transport is installed).
   */
  private paths(): string {
    const all = [...this.plain.keys(), ...this.withParams.map((r) => routePath(r).replace(PARAM, '<$1>'))];
    const first = FIRST.filter((p) => all.includes(p));
    const rest = all.filter((p) => !FIRST.includes(p));
    const list = [...first, ...rest];
    return list.length < 2 ? (list[0] ?? 'nothing') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
  }

  private pick(req: HubRequest, methods: Map<string, RouteHandler>, params: RouteParams): RouteMatch {
    const handler = methods.get(req.method);
    if (handler) return { handler, params };
    const allow = [...methods.keys()].join(', ');
    throw new HubError(
      405,
      'method-not-allowed',
      `${req.path} accepts ${allow}, not ${req.method}.`,
      undefined,
      {
        allow,
      },
    );
  }

  private plainRoute(path: string): Map<string, RouteHandler> {
    let m = this.plain.get(path);
    if (!m) {
      m = new Map();
      this.plain.set(path, m);
    }
    return m;
  }

  private paramRoute(path: string): Map<string, RouteHandler> {
    const found = this.withParams.find((r) => routePath(r) === path);
    if (found) return found.methods;
    const segments = path.split('/');
    const last = segments[segments.length - 1] as string;
    const rest = last.startsWith('*') ? last.slice(1) : undefined;
    if (rest !== undefined) segments.pop();
    const r: ParamRoute = { segments, rest, methods: new Map() };
    this.withParams.push(r);
    return r.methods;
  }
}

function routePath(r: ParamRoute): string {
  return r.segments.join('/') + (r.rest === undefined ? '' : `/*${r.rest}`);
}

function match(r: ParamRoute, path: string): RouteParams | undefined {
  const parts = path.split('/');
  const fixed = r.segments.length;
  if (r.rest === undefined ? parts.length !== fixed : parts.length <= fixed) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < fixed; i++) {
    const want = r.segments[i] as string;
    const got = parts[i] as string;
    if (want.startsWith(':')) {
      if (got === '') return undefined;
      params[want.slice(1)] = got;
    } else if (want !== got) return undefined;
  }
  if (r.rest !== undefined) params[r.rest] = parts.slice(fixed).join('/');
  return params;
}
