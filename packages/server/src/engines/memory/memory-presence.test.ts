import { runPresenceSuite } from '../../testing/presence-suite.js';
import { MemoryPresence } from './memory-presence.js';

const stores = new Map<number, MemoryPresence>();
runPresenceSuite({
  name: 'memory',
  create(shared) {
    let s = stores.get(shared);
    if (!s) {
      s = new MemoryPresence();
      stores.set(shared, s);
    }
    return s;
  },
});
