import { runBrokerSuite } from '../../testing/broker-suite.js';
import { MemoryBroker } from './memory-broker.js';

runBrokerSuite({ name: 'memory', create: () => [new MemoryBroker()] });
