import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll } from 'vitest';
import type { IpcPort } from '../src/engines/ipc/ipc-messages.js';

const channels: MessageChannel[] = [];
afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

/**
 * A message port as an {@link IpcPort}, each message serialised as JSON the way node:cluster's
 * default IPC serialisation does (so `undefined` fields vanish as they would).
 */
function port(p: MessagePort): IpcPort {
  const wrapped = new Map<(m: unknown) => void, (m: unknown) => void>();
  return {
    send: (m) => p.postMessage(JSON.stringify(m)),
    on: (_e, l) => {
      const w = (m: unknown) => l(JSON.parse(m as string));
      wrapped.set(l, w);
      p.on('message', w);
    },
    off: (_e, l) => {
      const w = wrapped.get(l);
      if (w) p.off('message', w);
    },
  };
}

/** A primary's and a worker's end of one real MessageChannel, closed after the test file. */
export function ipcPair(): { primary: IpcPort; worker: IpcPort } {
  const c = new MessageChannel();
  channels.push(c);
  return { primary: port(c.port1), worker: port(c.port2) };
}
