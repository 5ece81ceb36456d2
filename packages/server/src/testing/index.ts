/**
 * `@tidings/server/testing`: the conformance suites every store, broker, presence, revocation
 * store and SQLite driver implementation runs.
 * Requires `vitest`.
 * @packageDocumentation
 */
export type { BrokerSuiteOptions } from './broker-suite.js';
export { runBrokerSuite } from './broker-suite.js';
export type { PresenceSuiteOptions } from './presence-suite.js';
export { runPresenceSuite } from './presence-suite.js';
export type { RevocationSuiteOptions } from './revocation-suite.js';
export { runRevocationSuite } from './revocation-suite.js';
export type { SqliteDriverSuiteOptions } from './sqlite-driver-suite.js';
export { runSqliteDriverSuite } from './sqlite-driver-suite.js';
export type { StoreSuiteOptions } from './store-suite.js';
export { runStoreSuite } from './store-suite.js';
