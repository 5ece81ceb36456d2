import { afterAll } from 'vitest';
import { deleteNatsPrefix, needNats, uniqueNatsPrefix } from '../../../test/nats-services.js';
import { runStoreSuite } from '../../testing/store-suite.js';
import { NatsStore } from './nats-store.js';

const url = await needNats(import.meta.url);
const prefixes: string[] = [];
afterAll(async () => {
  if (url) for (const p of prefixes) await deleteNatsPrefix(url, p);
});

function prefix(): string {
  const p = uniqueNatsPrefix('store');
  prefixes.push(p);
  return p;
}

if (url) {
  runStoreSuite({
    name: 'nats',
    create: (o) => new NatsStore({ url, prefix: prefix(), retention: o.retention, now: o.now }),
    reopen: async (s) => {
      const prev = s as NatsStore;
      await prev.close();
      return new NatsStore({ url, prefix: prev.names.prefix });
    },
  });
}
