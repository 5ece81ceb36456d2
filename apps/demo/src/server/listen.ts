import type { Server } from 'node:http';

/** The `npm start` flag that sets a port: the backend's (the app's URL) or the hub's. */
export type PortFlag = 'port' | 'hub-port';

/**
 * What to do about a port in use, as a sentence: which port, which flag of `npm start` moves it.
 * The suggestion is 10 ports up, clear of the other default (the hub's 5181 is the backend's + 1).
 */
export function portInUseMessage(port: number, host: string, flag: PortFlag): string {
  const which = flag === 'hub-port' ? "the demo's hub" : 'the demo';
  return `Port ${port} on ${host}, wanted by ${which}, is already in use (perhaps by a demo that is still running); stop what uses it, or pick another port: npm start -- --${flag} ${port + 10}.`;
}

/**
 * Listens and resolves with the base URL; a taken port becomes {@link portInUseMessage}, naming
 * `flag` (`--port` by default).
 */
export function listen(server: Server, port: number, host: string, flag: PortFlag = 'port'): Promise<string> {
  return new Promise((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      fail(e.code === 'EADDRINUSE' ? new Error(portInUseMessage(port, host, flag)) : e);
    });
    server.listen(port, host, () => {
      const a = server.address();
      ok(`http://${host}:${typeof a === 'object' && a ? a.port : port}`);
    });
  });
}
