import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { malformedUrl } from './answers.js';
import type { HostTarget } from './host-target.js';
import { type HubRequest, type HubResponse, LazyAbort, relativePath } from './hub-request.js';
import { closeAfterAnswer } from './lingering-close.js';
import { nodeRequest } from './node-request.js';
import { closeDelimited, NodeSink } from './node-sink.js';
import { rawHead } from './raw-response.js';
import type { SimpleHead } from './request-head.js';
import { socketRequest } from './socket-request.js';
import type { StreamFrontTarget } from './stream-front.js';

/**
 * The hub's node:http entry points: the request listener (`hub.handleNode`) and the stream
 * front's handover of a bare socket. Node's objects are only touched here (their types aside),
 * so the Web-standard `hub.fetch` path loads none of them.
 */
export class NodeHost implements StreamFrontTarget {
  constructor(private readonly target: HostTarget) {}

  readonly handleNode = (req: IncomingMessage, res: ServerResponse): void => {
    const abort = new LazyAbort();
    const onClose = () => abort.close();
    res.on('close', onClose);
    let hreq: HubRequest;
    try {
      hreq = nodeRequest(req, this.target.options.basePath, abort);
    } catch {
      this.writeNode(res, malformedUrl());
      return;
    }
    this.target
      .handle(hreq)
      .then((result) => {
        if ('kind' in result) {
          // The client left while the route was deciding (e.g. during authorization): its
          // 'close' already fired, so a stream opened now would never be cleaned up.
          if (abort.closed || res.destroyed) return;
          // No chunk framing: the body ends with the connection, so event frames go to the
          // socket as they are (see NodeSink).
          closeDelimited(res);
          res.writeHead(200, result.headers);
          res.flushHeaders();
          req.socket.setNoDelay(true);
          req.socket.setKeepAlive(true, 30_000);
          // Once open, the stream's own close handling takes over (connection slots included):
          // the request's abort signal and everything it holds need not live as long as it.
          res.off('close', onClose);
          result.open(new NodeSink(res));
        } else {
          if (res.destroyed) return; // the client left (see ClientGoneError): nobody to answer
          // An unread body (a 413, a refusal before the body) must not be parsed as the next
          // request: this answer is the connection's last, closed so the client still reads it.
          if (result.status >= 400 && !req.complete) closeAfterAnswer(res);
          this.writeNode(res, result);
        }
      })
      .catch((err) => this.failNode(res, err));
  };

  /**
   * The last resort of `handleNode`: an answer that could not be written (a route's header with a
   * line break, a stream that failed to open) is logged once, counted, and becomes a `500` (or a
   * closed socket once headers are out), never an unhandled rejection, which would end the process.
   */
  private failNode(res: ServerResponse, err: unknown): void {
    const answer = this.target.internalError('node handler', err);
    try {
      this.writeNode(res, answer);
    } catch {
      res.destroy();
    }
  }

  private writeNode(res: ServerResponse, r: HubResponse): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
    res.end(r.body);
  }

  /**
   * The stream front's entry (see `installStreamFront`): serves a plain GET to one of the stream
   * paths on the bare socket, the same way `handleNode` would, minus node:http's objects.
   */
  serveSocket(head: SimpleHead, socket: Socket): boolean {
    let url: URL;
    try {
      url = new URL(head.target, 'http://hub.invalid');
    } catch {
      return false;
    }
    const path = relativePath(url.pathname, this.target.options.basePath);
    if (path === undefined || !this.target.isStreamPath(path)) return false;
    const abort = new LazyAbort();
    const onClose = () => abort.close();
    socket.on('close', onClose);
    const answer = (r: HubResponse) => {
      socket.end(rawHead(r.status, r.headers, Buffer.byteLength(r.body)) + r.body);
      socket.destroySoon();
    };
    this.target
      .handle(socketRequest(head, url, path, socket.remoteAddress ?? '', abort))
      .then((result) => {
        socket.off('close', onClose);
        if (abort.closed || socket.destroyed) return;
        if (!('kind' in result)) {
          answer(result);
          return;
        }
        socket.write(rawHead(200, result.headers));
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        result.open(NodeSink.forSocket(socket));
      })
      .catch((err) => {
        // handle() answers its own errors; what lands here is rawHead refusing a header with a
        // line break: answer 500 rather than split the response.
        if (!socket.destroyed) answer(this.target.internalError('stream front', err));
      });
    return true;
  }
}
