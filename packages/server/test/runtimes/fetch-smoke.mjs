// Serves `hub.fetch` from the built package with the runtime's own server (Bun.serve or
// Deno.serve), opens one SSE stream over HTTP, publishes one event with POST /publish and prints
// one JSON line: { runtime, store, frame } with the frame the stream received, or { runtime, error }.
// The first argument picks the store: "memory" (memoryStore()), or "default" (createHub's own
// embedded default, which writes .tidings/ under the working directory).
import { createHub, memoryStore } from '../../dist/index.js';

const runtime = 'Bun' in globalThis ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';

function serve(fetch) {
  if (runtime === 'bun') {
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch });
    return { port: server.port, stop: () => server.stop(true) };
  }
  if (runtime === 'deno') {
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, fetch);
    return { port: server.addr.port, stop: () => server.shutdown() };
  }
  throw new Error('Run this script with bun or deno.');
}

/** Reads SSE frames until one of type `type` arrives, and returns its fields. */
async function eventOfType(reader, pending, type) {
  const decoder = new TextDecoder();
  let buffer = pending;
  for (;;) {
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const value = line.slice(colon + 1).replace(/^ /, '');
        fields[line.slice(0, colon)] =
          fields[line.slice(0, colon)] === undefined ? value : `${fields[line.slice(0, colon)]}\n${value}`;
      }
      if (fields.event === type) return fields;
      end = buffer.indexOf('\n\n');
    }
    const { value, done } = await reader.read();
    if (done)
      throw new Error(`The stream ended before a ${type} event arrived (left: ${JSON.stringify(buffer)}).`);
    buffer += decoder.decode(value, { stream: true });
  }
}

const timer = setTimeout(() => {
  console.log(JSON.stringify({ runtime, error: 'No event within 10 s.' }));
  process.exit(1);
}, 10_000);

const which = process.argv[2] ?? (typeof Deno !== 'undefined' ? Deno.args[0] : undefined) ?? 'memory';
const hub = createHub(which === 'default' ? {} : { store: memoryStore() });
const server = serve((request, info) => hub.fetch(request, info));
const base = `http://127.0.0.1:${server.port}`;
try {
  const stream = await fetch(`${base}/events?topic=smoke`);
  if (stream.status !== 200) throw new Error(`GET /events answered ${stream.status}: ${await stream.text()}`);
  const reader = stream.body.getReader();
  // The first bytes mean the stream is registered: a publish from now on reaches it.
  const first = await reader.read();
  const pending = new TextDecoder().decode(first.value);
  const published = await fetch(`${base}/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'smoke', type: 'greeting', data: { hello: runtime } }),
  });
  if (published.status !== 201)
    throw new Error(`POST /publish answered ${published.status}: ${await published.text()}`);
  const { id } = await published.json();
  const frame = await eventOfType(reader, pending, 'greeting');
  await reader.cancel();
  console.log(JSON.stringify({ runtime, store: hub.engine?.store?.kind ?? which, published: id, frame }));
} catch (e) {
  console.log(JSON.stringify({ runtime, error: String(e?.stack ?? e) }));
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
  await hub.close();
  await server.stop();
}
process.exit(process.exitCode ?? 0);
