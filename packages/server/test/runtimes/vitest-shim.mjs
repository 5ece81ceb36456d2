// The part of vitest's API the conformance suites use (describe, it, it.skipIf, hooks, expect),
// for running them under Bun and Deno, where vitest's runner does not run. `expect` is vitest's
// own (chai with vitest's matchers), so the suites assert exactly what they assert under vitest.
import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** @type {(value: unknown, message?: string) => any} */
export const expect = Object.assign((value, message) => chai.expect(value, message), {
  objectContaining: (o) => chai.expect.objectContaining(o),
  arrayContaining: (a) => chai.expect.arrayContaining(a),
  any: (c) => chai.expect.any(c),
  anything: () => chai.expect.anything(),
  stringMatching: (s) => chai.expect.stringMatching(s),
});

/** Registered tests, in declaration order: `{ name, fn, skip, before[], after[] }`. */
export const registered = [];
const scopes = [{ names: [], before: [], after: [], beforeAll: [], afterAll: [] }];
const top = () => scopes[scopes.length - 1];

export function describe(name, body) {
  const parent = top();
  scopes.push({
    names: [...parent.names, name],
    before: [...parent.before],
    after: [...parent.after],
    beforeAll: parent.beforeAll,
    afterAll: parent.afterAll,
  });
  try {
    body();
  } finally {
    scopes.pop();
  }
}
describe.skipIf = (cond) => (name, body) => (cond ? undefined : describe(name, body));

function register(name, fn, skip) {
  const s = top();
  // Hooks declared later in the same describe still apply (as in vitest): read them when run.
  registered.push({ name: [...s.names, name].join(' > '), fn, skip, scope: s });
}
export function it(name, fn) {
  register(name, fn, false);
}
it.skipIf = (cond) => (name, fn) => register(name, fn, Boolean(cond));
it.skip = (name, fn) => register(name, fn, true);
export const test = it;

export function beforeEach(fn) {
  top().before.push(fn);
}
export function afterEach(fn) {
  top().after.push(fn);
}
export function beforeAll(fn) {
  top().beforeAll.push(fn);
}
export function afterAll(fn) {
  top().afterAll.push(fn);
}

/**
 * Runs every registered test one after the other, each with its describe blocks' hooks, and
 * returns `{ name, status: 'passed' | 'failed' | 'skipped', error? }` per test.
 */
export async function runRegistered() {
  const results = [];
  for (const hook of scopes[0].beforeAll) await hook();
  for (const t of registered) {
    if (t.skip) {
      results.push({ name: t.name, status: 'skipped' });
      continue;
    }
    let error;
    try {
      for (const hook of t.scope.before) await hook();
      await t.fn();
    } catch (e) {
      error = e;
    }
    for (const hook of t.scope.after) {
      try {
        await hook();
      } catch (e) {
        error ??= e;
      }
    }
    results.push(
      error === undefined
        ? { name: t.name, status: 'passed' }
        : { name: t.name, status: 'failed', error: String(error?.stack ?? error) },
    );
  }
  for (const hook of scopes[0].afterAll) await hook();
  return results;
}
