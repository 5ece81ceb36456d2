import { startNode } from './app.js';

const base = Number(process.env.PORT ?? 8080);
const a = await startNode('tidings-example', base);
const b = await startNode('tidings-example', base + 1);
console.log(`Two nodes: subscribe on ${b.url}/live/events?topic=orders, publish on ${a.url}/live/publish.`);
