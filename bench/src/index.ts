export { BENCH_USAGE, type BenchOptions, BenchUsageError, parseBenchOptions } from './bench-options.js';
export { addSummaries, DeliveryLedger, type LedgerSummary } from './delivery-ledger.js';
export { LatencyHistogram } from './latency-histogram.js';
export { type BenchReport, svgChart, textReport } from './report.js';
export { runBench } from './run-bench.js';
export { type OnBenchEvent, SseStreamReader } from './sse-stream-reader.js';
