import type { Server } from 'node:http';

/** Listens and resolves with the base URL; a taken port becomes a sentence saying what to do. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      fail(
        e.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on ${host} is already in use; stop what uses it or pass another port.`)
          : e,
      );
    });
    server.listen(port, host, () => {
      const a = server.address();
      ok(`http://${host}:${typeof a === 'object' && a ? a.port : port}`);
    });
  });
}
