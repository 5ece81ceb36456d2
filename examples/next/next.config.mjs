/** @type {import('next').NextConfig} */
export default {
  // The hub uses better-sqlite3 (a native addon) and keeps process-wide state: load it from
  // node_modules as it is instead of bundling it.
  serverExternalPackages: ['@tidings/server', 'better-sqlite3'],
  // The monorepo root holds the lockfile; say so rather than let Next guess.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};
