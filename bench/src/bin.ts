#!/usr/bin/env node
import { runBench } from './run-bench.js';

runBench(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`tidings bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
