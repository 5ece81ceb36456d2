/**
 * `@tidings/server/fastify`: the hub as a Fastify 5 plugin.
 * @packageDocumentation
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { AdaptedHub } from './node.js';

/**
 * A Fastify plugin serving the hub under its `basePath` (every method). Your `onRequest` and
 * `preHandler` hooks run first and may answer instead (e.g. refuse with 403); headers they set
 * with `reply.header()` are kept. Then the plugin hands the raw request to the hub with
 * `reply.hijack()`. Inside the plugin's own scope request bodies are left unparsed, because
 * the hub reads them itself; your other routes keep their parsers. WebSocket:
 * `attachWebSocket(app.server, hub)`.
 * @example
 * ```ts
 * const hub = createHub({ basePath: '/live' });
 * const app = Fastify();
 * await app.register(tidingsFastify(hub));
 * await app.listen({ port: 8080 });
 * ```
 * @see attachWebSocket
 */
export function tidingsFastify(hub: AdaptedHub): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.removeAllContentTypeParsers();
    // Leave the body on the socket: the hub reads and limits it.
    app.addContentTypeParser('*', (_req, _payload, parsed) => parsed(null, undefined));
    const handler = (request: FastifyRequest, reply: FastifyReply): void => {
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.hijack();
      hub.handleNode(request.raw, reply.raw);
    };
    const base = hub.options.basePath;
    app.all(`${base}/*`, handler);
    if (base !== '') app.all(base, handler);
    done();
  };
}
