import { start } from './app.js';

const running = await start(Number(process.env.PORT ?? 8080));
console.log(`Open ${running.url}/ and publish to the topic "orders".`);
