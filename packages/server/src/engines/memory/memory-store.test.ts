import { runStoreSuite } from '../../testing/store-suite.js';
import { MemoryStore } from './memory-store.js';

runStoreSuite({ name: 'memory', create: (o) => new MemoryStore(o) });
