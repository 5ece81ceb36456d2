import { consume } from './consumer.js';

const hub = process.env.HUB_URL ?? 'http://127.0.0.1:8080';
consume(
  hub,
  ['orders'],
  (type, data, id) => console.log(id, type, JSON.stringify(data)),
  process.env.TIDINGS_TOKEN,
);
console.log(`Consuming orders from ${hub}; stop with Ctrl-C.`);
