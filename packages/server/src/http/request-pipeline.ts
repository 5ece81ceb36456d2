import { type HubError, isHubError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { HubObserver } from '../core/observer.js';
import { ClientGoneError, type HubRequest, type HubResponse, json } from './hub-request.js';
import type { Middleware, RouteHandler, RouteResult } from './route.js';
import { Router } from './router.js';

/**
 * Every request's way through the hub, whichever host delivered it: the middlewares in order,
 * then the route; a thrown `HubError` becomes its JSON answer, a client that left mid-body a
 * `499`, anything else a logged `500`.
 */
export class RequestPipeline {
  private readonly middlewares: Middleware[] = [];
  private readonly router = new Router();

  constructor(
    private readonly log: Logger,
    private readonly observers: () => Required<HubObserver>,
  ) {}

  route(method: string, path: string, handler: RouteHandler): void {
    this.router.add(method, path, handler);
  }

  /** Adds a middleware inside those added before. */
  use(middleware: Middleware): void {
    this.middlewares.push(middleware);
  }

  /** Adds a middleware outside every other one (it runs first). */
  useFirst(middleware: Middleware): void {
    this.middlewares.unshift(middleware);
  }

  async handle(req: HubRequest): Promise<RouteResult> {
    const run = (i: number): Promise<RouteResult> => {
      const mw = this.middlewares[i];
      return mw ? mw(req, () => run(i + 1)) : this.dispatch(req);
    };
    try {
      return await run(0);
    } catch (err) {
      return this.failure(req, err);
    }
  }

  /** The route's answer; its errors answered here, inside the middlewares (CORS headers apply). */
  private async dispatch(req: HubRequest): Promise<RouteResult> {
    try {
      const { handler, params } = this.router.find(req);
      return await handler(req, params);
    } catch (err) {
      return this.failure(req, err);
    }
  }

  private failure(req: HubRequest, err: unknown): HubResponse {
    if (isHubError(err)) return this.reject(req, err);
    if (err instanceof ClientGoneError) return this.clientGone(req);
    return this.internalError(`${req.method} ${req.path}`, err);
  }

  private reject(req: HubRequest, err: HubError): HubResponse {
    this.observers().requestRejected(req, err);
    // Refusals for the memory budget are logged once per episode by the accountant, not per request.
    if (err.status >= 500 && err.detail?.option !== 'maxMemoryBytes')
      this.log.warn({ path: req.path, code: err.code }, err.message);
    return json(err.status, err.toBody(), err.headers);
  }

  /**
   * A client that left mid-body: its choice, not a failure of the hub, so a debug line and no
   * error count. The answer (499, nginx's "client closed request") is for adapters that write it
   * anyway; node:http's connection is already gone.
   */
  private clientGone(req: HubRequest): HubResponse {
    this.log.debug(
      { path: req.path, remote: req.remoteAddress },
      'client left before sending the whole body',
    );
    return json(499, {
      error: {
        code: 'client-closed',
        message: 'The client closed the connection before sending the whole body.',
      },
    });
  }

  /** Logs and counts an unexpected failure at `where`; the `500` to answer with. */
  internalError(where: string, err: unknown): HubResponse {
    this.observers().error(where, err);
    this.log.error({ err, where }, 'internal error');
    return json(500, {
      error: {
        code: 'internal',
        message: 'The hub failed to handle this request; it has been logged. Try again.',
      },
    });
  }
}
