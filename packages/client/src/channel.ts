// The part of the client an SSE-only app never downloads: `create-client` loads this module with
// a dynamic import the first time a client needs the WebSocket transport, a command or a topic
// change. It only gathers them, so that they ship as one chunk.

export { autoFallback } from './auto-fallback.js';
export { Commands } from './commands.js';
export { webSocketTransport } from './websocket-transport.js';
