import { start } from './app.js';

const running = await start(process.env.AUDIT_FILE ?? 'audit.jsonl', Number(process.env.PORT ?? 8080));
console.log(`Listening on ${running.url}; every published event is also appended to the audit file.`);
