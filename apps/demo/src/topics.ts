/**
 * Every topic the demo app subscribes to. The browser asks for them all on one connection, and
 * the backend's tokens grant them (plus each user's own `user/{sub}/**`): one list, so the two
 * cannot drift apart.
 */
export const APP_TOPICS = [
  'leases',
  'projects/**',
  'clusters/**',
  'ops/**',
  'jobs/**',
  'coaching/**',
  'console',
];
