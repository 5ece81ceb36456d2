/** @type {import('next').NextConfig} */
export default {
  // The hub uses better-sqlite3 (a native addon) and keeps process-wide state: load it from
  // node_modules as it is instead of bundling it.
  serverExternalPackages: ['@tidings/server', 'better-sqlite3'],
  // @tidings/* and better-sqlite3 resolve from the repository root's node_modules (the example's
  // own holds only next and react): trace files from there, and say so rather than let Next guess.
  outputFileTracingRoot: new URL('../..', import.meta.url).pathname,
};
