import { afterEach, describe, expect, it } from 'vitest';
import type { PresenceEntry, PresenceStore } from '../engines/presence-store.js';

/** How the conformance suite builds the presence stores under test. */
export interface PresenceSuiteOptions {
  /** Name shown in the test report. */
  name: string;
  /**
   * A fresh, empty store. `node` tells apart the nodes (or worker processes) of one hub:
   * every call with the same `shared` value must return a store over the same presence.
   */
  create(shared: number, node: number): Promise<PresenceStore> | PresenceStore;
  /**
   * Makes node `node` of `shared` vanish without withdrawing (a crash), and resolves once its
   * connections no longer count. Omit when the store cannot tell (its entries only expire).
   */
  kill?(shared: number, node: number): Promise<void>;
}

const entry = (connectionId: string, topics: string[], user?: string): PresenceEntry => ({
  connectionId,
  user,
  topics,
});

/**
 * The shared conformance suite for {@link PresenceStore} implementations that record what is
 * announced (not `LocalPresence`, which reads the hub's connections): call it from each
 * implementation's test file.
 */
export function runPresenceSuite(o: PresenceSuiteOptions): void {
  describe(`PresenceStore conformance: ${o.name}`, () => {
    const open: PresenceStore[] = [];
    let shared = 0;
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close?.();
    });
    async function make(node = 0): Promise<PresenceStore> {
      const s = await o.create(shared, node);
      open.push(s);
      return s;
    }

    it('counts connections and distinct users by topic name and by pattern, each connection once', async () => {
      shared++;
      const s = await make();
      await s.announce([
        entry('n1-1', ['room/a'], 'ann'),
        entry('n1-2', ['room/*', 'room/a'], 'bob'),
        entry('n1-3', ['room/**']),
        entry('n1-4', ['lobby'], 'ann'),
        entry('n1-5', ['room/a'], 'ann'),
      ]);
      expect(await s.query('room/a')).toEqual({ connections: 4, users: ['ann', 'bob'] });
      expect(await s.query('room/b/c')).toEqual({ connections: 1, users: [] });
      expect(await s.query('lobby')).toEqual({ connections: 1, users: ['ann'] });
      expect(await s.query('nobody/here')).toEqual({ connections: 0, users: [] });
    });

    it('forgets withdrawn connections, and a re-announce does not count twice', async () => {
      shared++;
      const s = await make();
      const a = entry('n2-1', ['t'], 'ann');
      const b = entry('n2-2', ['t', 't/*'], 'bob');
      await s.announce([a, b]);
      await s.announce([a]);
      expect(await s.query('t')).toEqual({ connections: 2, users: ['ann', 'bob'] });
      await s.withdraw([a]);
      expect(await s.query('t')).toEqual({ connections: 1, users: ['bob'] });
      await s.withdraw([b]);
      await s.withdraw([b]);
      expect(await s.query('t')).toEqual({ connections: 0, users: [] });
      await s.announce([]);
      await s.withdraw([]);
    });

    it('follows a connection whose topics changed (withdraw the old entry, announce the new)', async () => {
      shared++;
      const s = await make();
      const before = entry('n3-1', ['x'], 'ann');
      await s.announce([before]);
      await s.withdraw([before]);
      await s.announce([entry('n3-1', ['y'], 'ann')]);
      expect(await s.query('x')).toEqual({ connections: 0, users: [] });
      expect(await s.query('y')).toEqual({ connections: 1, users: ['ann'] });
    });

    it('counts the connections of every node of the hub', async () => {
      shared++;
      const n0 = await make(0);
      const n1 = await make(1);
      await n0.announce([entry('a-1', ['shared'], 'ann'), entry('a-2', ['shared'])]);
      await n1.announce([entry('b-1', ['shared'], 'bob'), entry('b-2', ['*'], 'ann')]);
      for (const s of [n0, n1])
        expect(await s.query('shared')).toEqual({ connections: 4, users: ['ann', 'bob'] });
      await n1.withdraw([entry('b-1', ['shared'], 'bob')]);
      expect(await n0.query('shared')).toEqual({ connections: 3, users: ['ann'] });
    });

    if (o.kill) {
      it("drops the connections of a node that died without withdrawing, and keeps the others'", async () => {
        shared++;
        const n0 = await make(0);
        const n1 = await make(1);
        await n0.announce([entry('a-1', ['room'], 'ann')]);
        await n1.announce([entry('b-1', ['room'], 'bob'), entry('b-2', ['room'])]);
        expect(await n0.query('room')).toEqual({ connections: 3, users: ['ann', 'bob'] });
        await o.kill?.(shared, 1);
        expect(await n0.query('room')).toEqual({ connections: 1, users: ['ann'] });
      });
    }
  });
}
