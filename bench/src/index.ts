export { addSummaries, DeliveryLedger, type LedgerSummary } from './delivery-ledger.js';
export { LatencyHistogram } from './latency-histogram.js';
export { type OnBenchEvent, SseStreamReader } from './sse-stream-reader.js';
