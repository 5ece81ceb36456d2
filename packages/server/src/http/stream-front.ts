import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { firstByteTimeout, headTimeout } from './raw-response.js';
import { HAND_OFF, HeadReader, INCOMPLETE, NODE_MAX_HEADERS, type SimpleHead } from './request-head.js';
import type { ResolvedServerLimits } from './server-limit-options.js';

/**
 * A handler that can serve some requests on a bare socket: a hub's `handleNode` carries one under
 * {@link STREAM_FRONT}.
 */
export interface StreamFrontTarget {
  /**
   * Serves the request if it is one of the handler's event streams (the socket is then its own,
   * for good) and returns true; returns false, touching nothing, to let node:http have it.
   */
  serveSocket(head: SimpleHead, socket: Socket): boolean;
}

/** Where a hub's `handleNode` (and listeners wrapping it) carry their {@link StreamFrontTarget}. */
export const STREAM_FRONT: unique symbol = Symbol.for('tidings.streamFront');

/** A socket whose request head is still arriving. */
interface Pending {
  /** Reads the head as it arrives: every byte once, however the client splits it. */
  reader: HeadReader;
  /** The first-byte deadline, then (once bytes came) the whole-head deadline. */
  timer: NodeJS.Timeout;
  onData: (chunk: Buffer) => void;
}

type FrontSocket = Socket & {
  tidingsPending?: Pending | undefined;
  tidingsOwned?: Set<Socket> | undefined;
};

function discard(): void {}

/** The client closed its side: neither a head nor an event stream has anything more to await. */
function onPeerEnd(this: Socket): void {
  this.destroy();
}

function onFrontClose(this: FrontSocket): void {
  // Gone before its head was complete: its deadline timer need not hold it any longer.
  release(this);
  this.tidingsOwned?.delete(this);
}

/** Answers `408` with `answer` and closes once it is sent. */
function expire(socket: FrontSocket, answer: string): void {
  release(socket);
  socket.end(answer);
  socket.destroySoon();
}

/** Stops watching a pending socket: listeners, head deadline, buffered bytes. */
function release(socket: FrontSocket): void {
  const p = socket.tidingsPending;
  if (p === undefined) return;
  socket.tidingsPending = undefined;
  socket.off('data', p.onData);
  clearTimeout(p.timer);
}

/**
 * Serves event streams straight from the socket, before node:http sees the connection.
 *
 * Why: an idle event stream on node:http keeps its parser, `IncomingMessage`, `ServerResponse`
 * and their listeners for as long as it is open — about 6 KB per connection, more than half of
 * what the stream costs. The front reads each new connection's first request head; a plain
 * `GET` (see {@link parseSimpleHead}) to one of the target's stream paths is answered on the
 * socket, and everything else — other paths, bodies, upgrades, anything unusual or malformed —
 * is handed to node:http exactly as it arrived, so its parser, limits and error answers apply.
 *
 * Until the head is known the front owns the connection's deadlines — `firstByteTimeoutMs` to
 * the first byte, then `headersTimeoutMs` for the whole head, which must also fit in
 * `maxHeaderBytes` (else node:http answers `431`) — with plain timers, so a stream keeps no
 * timer object once it runs. The server's other 'connection' listeners (node:http's own and
 * `hardenServer`'s) run at hand-off, as if the connection had just arrived.
 */
export function installStreamFront(
  server: Server,
  target: StreamFrontTarget,
  limits: ResolvedServerLimits,
): void {
  const original = server.listeners('connection') as Array<(socket: Socket) => void>;
  if (original.length === 0) throw new Error('installStreamFront needs a node:http server.');
  server.removeAllListeners('connection');
  const owned = new Set<Socket>();

  const handOff = (socket: FrontSocket, bytes: Buffer): void => {
    release(socket);
    socket.off('end', onPeerEnd);
    socket.unshift(bytes);
    for (const listener of original) listener.call(server, socket);
  };

  const onHead = (socket: FrontSocket, reader: HeadReader, chunk: Buffer): void => {
    const head = reader.push(chunk);
    if (head === INCOMPLETE) return;
    // Bytes after the head would be a pipelined request; node:http knows what to do with them.
    if (head === HAND_OFF || head.length !== reader.length) {
      handOff(socket, reader.bytes);
      return;
    }
    serve(socket, head, reader.bytes);
  };

  /** What node:http reads of a head: it ignores headers past `server.maxHeadersCount` (0: all). */
  const maxHeaders = (): number => {
    const n = server.maxHeadersCount;
    if (typeof n !== 'number' || Number.isNaN(n)) return NODE_MAX_HEADERS;
    return n > 0 ? n : Number.POSITIVE_INFINITY;
  };

  const serve = (socket: FrontSocket, head: SimpleHead, bytes: Buffer): void => {
    release(socket);
    // Listeners for the rest of the socket's life: shared functions, nothing per connection
    // ('error' and 'end' are already there).
    socket.on('data', discard);
    if (!target.serveSocket(head, socket)) {
      socket.off('data', discard);
      handOff(socket, bytes);
      return;
    }
    owned.add(socket);
    socket.tidingsOwned = owned;
  };

  server.on('connection', (socket: FrontSocket) => {
    socket.on('error', discard);
    socket.on('end', onPeerEnd);
    socket.on('close', onFrontClose);
    const pending: Pending = {
      reader: new HeadReader(limits.maxHeaderBytes, maxHeaders()),
      timer: setTimeout(() => expire(socket, firstByteTimeout(limits)), limits.firstByteTimeoutMs),
      onData: (chunk) => {
        const firstChunk = pending.reader.length === 0;
        onHead(socket, pending.reader, chunk);
        // Still incomplete after its first bytes: the whole head must arrive within
        // headersTimeoutMs of them (an idle timeout alone would let a byte every few seconds
        // keep it open).
        if (firstChunk && socket.tidingsPending === pending) {
          clearTimeout(pending.timer);
          pending.timer = setTimeout(() => expire(socket, headTimeout(limits)), limits.headersTimeoutMs);
        }
      },
    };
    socket.tidingsPending = pending;
    socket.on('data', pending.onData);
  });

  // node:http only knows the connections it was handed; the front's streams close with them.
  const closeAll = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeAll();
    for (const s of owned) s.destroy();
  };
}
