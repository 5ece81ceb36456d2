import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a socket is read and discarded after its answer, waiting for the client to close. */
export const LINGER_MS = 2_000;
/** How many bytes are read and discarded after an answer before the socket is cut anyway. */
export const LINGER_BYTES = 1024 * 1024;
/** How often a lingering socket's byte count is checked. */
const CHECK_MS = 50;

/**
 * Makes `res` the last answer on its connection, and closes the connection so the client reads
 * that answer rather than a reset: for a request whose body the hub did not read (a `413`, a
 * refusal before the body).
 *
 * Closing a socket whose unread body is still arriving makes the kernel send RST, and a client
 * that gets RST while its upload is in flight usually loses the answer too. So, as Apache and
 * nginx do ("lingering close"), the hub sends the answer, half-closes (FIN), and keeps reading and
 * discarding what still arrives until the client closes its side, for at most
 * {@link LINGER_MS} and {@link LINGER_BYTES}; only then is the socket destroyed. Call before the
 * answer's `writeHead`.
 */
export function closeAfterAnswer(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket) return;
  // node:http then sends "Connection: close" and calls socket.destroySoon() once the answer is
  // flushed; destroySoon would cut the socket as soon as its FIN is out.
  res.shouldKeepAlive = false;
  socket.destroySoon = () => linger(socket);
}

function linger(socket: Socket): void {
  if (socket.destroyed) return;
  // node:http's parser may read the socket itself (no 'data' events), discarding the rest of the
  // body: the byte count of the socket shows what arrived either way.
  const start = socket.bytesRead;
  const deadline = Date.now() + LINGER_MS;
  const done = () => {
    clearInterval(timer);
    socket.destroy();
  };
  const timer = setInterval(() => {
    if (socket.bytesRead - start > LINGER_BYTES || Date.now() >= deadline) done();
  }, CHECK_MS);
  timer.unref();
  socket.once('end', done);
  socket.once('close', () => clearInterval(timer));
  socket.setTimeout(0);
  socket.end();
  socket.resume();
}
