import { afterEach, describe, expect, it } from 'vitest';
import type { RevocationStore } from '../engines/engine.js';

/** How the conformance suite builds the revocation stores under test. */
export interface RevocationSuiteOptions {
  /** Name shown in the test report. */
  name: string;
  /**
   * A fresh, empty store whose clock is `now` (stores that expire entries server-side, such as
   * Redis, may ignore it; then `clockIsInjected` must be false).
   */
  create(now: () => number): Promise<RevocationStore> | RevocationStore;
  /** Another store over the same data (a restart, or a second node). Omit for in-process stores. */
  reopen?(store: RevocationStore): Promise<RevocationStore>;
  /** Whether `create` honours the injected clock. @defaultValue true */
  clockIsInjected?: boolean;
}

/**
 * The shared conformance suite for {@link RevocationStore} implementations: call it from each
 * implementation's test file. Covers revoked keys and user cut-offs (`revokeIssuedUpTo`), in
 * particular that a user logout lasts until the longest token issued before it has expired.
 */
export function runRevocationSuite(o: RevocationSuiteOptions): void {
  describe(`RevocationStore conformance: ${o.name}`, () => {
    const open: RevocationStore[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close?.();
    });
    let t = Date.now();
    const clock = () => t;
    async function make(): Promise<RevocationStore> {
      t = Date.now();
      const s = await o.create(clock);
      open.push(s);
      return s;
    }

    it('refuses a revoked key until its time and not other keys', async () => {
      const s = await make();
      await s.revoke('jti:a', t + 60_000);
      expect(await s.isRevoked('jti:a')).toBe(true);
      expect(await s.isRevoked('jti:b')).toBe(false);
      expect(await s.isRevoked('session:a')).toBe(false);
    });

    it('keeps the later time when a key is revoked twice', async () => {
      const s = await make();
      await s.revoke('k', t + 120_000);
      await s.revoke('k', t + 1_000);
      if (o.clockIsInjected === false) return;
      t += 60_000;
      expect(await s.isRevoked('k')).toBe(true);
    });

    it('forgets a key once its time has passed', async () => {
      if (o.clockIsInjected === false) return;
      const s = await make();
      await s.revoke('k', t + 1_000);
      await s.revoke('old', t - 1);
      expect(await s.isRevoked('old')).toBe(false);
      t += 1_001;
      expect(await s.isRevoked('k')).toBe(false);
    });

    it('handles keys with any characters', async () => {
      const s = await make();
      const keys = ['user:ü/x', 'a\'b"c', 'k'.repeat(300), 'session:  '];
      for (const k of keys) await s.revoke(k, t + 60_000);
      for (const k of keys) expect(await s.isRevoked(k)).toBe(true);
    });

    it('refuses credentials issued up to a cut-off and not later ones', async () => {
      const s = await make();
      expect(await s.issuedUpTo('user:["u"]')).toBeUndefined();
      await s.revokeIssuedUpTo('user:["u"]', t, t + 60_000);
      expect(await s.issuedUpTo('user:["u"]')).toBe(t);
      expect(await s.issuedUpTo('user:["v"]')).toBeUndefined();
      // A cut-off and a revoked key are separate entries, even under one name.
      expect(await s.isRevoked('user:["u"]')).toBe(false);
      await s.revoke('jti:x', t + 60_000);
      expect(await s.issuedUpTo('jti:x')).toBeUndefined();
    });

    it('keeps the later cut-off and the later time when a cut-off is set twice', async () => {
      const s = await make();
      await s.revokeIssuedUpTo('user:["u"]', t + 5_000, t + 60_000);
      await s.revokeIssuedUpTo('user:["u"]', t, t + 120_000);
      expect(await s.issuedUpTo('user:["u"]')).toBe(t + 5_000);
      await s.revokeIssuedUpTo('user:["u"]', t + 9_000, t + 30_000);
      expect(await s.issuedUpTo('user:["u"]')).toBe(t + 9_000);
      if (o.clockIsInjected === false) return;
      t += 100_000;
      expect(await s.issuedUpTo('user:["u"]')).toBe(t - 100_000 + 9_000);
    });

    it('holds a user logout until the longest token issued before it expires, not a minute', async () => {
      // A day-long token issued just before the logout must stay refused for the whole day:
      // the hub remembers recent logouts for only 60 s, so the store must do the rest.
      const s = await make();
      const day = 86_400_000;
      await s.revokeIssuedUpTo('user:["u"]', t, t + day);
      if (o.clockIsInjected === false) {
        expect(await s.issuedUpTo('user:["u"]')).toBe(t);
        return;
      }
      for (const later of [61_000, 3_600_000, day - 1]) {
        const at = t;
        t = at + later;
        expect(await s.issuedUpTo('user:["u"]')).toBe(at);
        t = at;
      }
      t += day;
      expect(await s.issuedUpTo('user:["u"]')).toBeUndefined();
      // Once expired, an old cut-off lends nothing to a new one.
      await s.revokeIssuedUpTo('user:["u"]', t - 50_000, t + 1_000);
      expect(await s.issuedUpTo('user:["u"]')).toBe(t - 50_000);
    });

    if (o.reopen) {
      it('keeps revocations and cut-offs across a reopen', async () => {
        const s = await make();
        await s.revoke('jti:persist', t + 60_000);
        await s.revokeIssuedUpTo('user:["persist"]', t, t + 60_000);
        const again = await o.reopen?.(s);
        if (!again) return;
        open.push(again);
        expect(await again.isRevoked('jti:persist')).toBe(true);
        expect(await again.issuedUpTo('user:["persist"]')).toBe(t);
      });
    }
  });
}
