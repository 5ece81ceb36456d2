import { start } from './app.js';

const running = await start(Number(process.env.PORT ?? 8080), process.env.HOST ?? '127.0.0.1');
console.log(`Listening on ${running.url}: subscribe at ${running.url}/live/events?topic=orders`);
