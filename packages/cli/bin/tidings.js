#!/usr/bin/env node
// A committed entry point, so npm links `tidings` on install even before the workspace is built.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  console.error(
    'tidings: @tidings/cli is not built yet. Run `npm run build` at the repository root, then try again.',
  );
  process.exit(1);
}
await import(built.href);
