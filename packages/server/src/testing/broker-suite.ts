import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../core/stored-event.js';
import type { Broker, ControlMessage } from '../engines/broker.js';

/** How the conformance suite builds the brokers under test. */
export interface BrokerSuiteOptions {
  /** Name shown in the test report. */
  name: string;
  /**
   * `n` brokers that behave as `n` connected nodes (for a single-process broker, `n` must be 1
   * and `maxNodes` 1).
   */
  create(n: number): Promise<Broker[]> | Broker[];
  /** How many nodes `create` can build. @defaultValue 1 */
  maxNodes?: number;
}

let pos = 0;
function stored(topic: string, i: number): StoredEvent {
  pos++;
  return {
    id: `e${pos}`,
    pos: String(pos),
    topic,
    type: 't',
    ts: Date.now(),
    dataJson: JSON.stringify({ i }),
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('Timed out waiting for the broker to deliver.');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The shared conformance suite for {@link Broker} implementations: call it from each
 * implementation's test file so every broker passes exactly the same tests.
 */
export function runBrokerSuite(opts: BrokerSuiteOptions): void {
  const maxNodes = opts.maxNodes ?? 1;
  describe(`Broker conformance: ${opts.name}`, () => {
    const open: Broker[] = [];
    const make = async (n: number) => {
      const b = await opts.create(n);
      open.push(...b);
      return b;
    };
    afterEach(async () => {
      for (const b of open.splice(0)) await b.close().catch(() => {});
    });

    it('delivers every event to every listener exactly once, in publish order', async () => {
      const [b] = await make(1);
      const got1: string[] = [];
      const got2: string[] = [];
      b?.subscribe((evs) => got1.push(...evs.map((e) => e.id)));
      b?.subscribe((evs) => got2.push(...evs.map((e) => e.id)));
      const sent: string[] = [];
      for (let i = 0; i < 500; i++) {
        const batch = [stored(`t/${i % 3}`, i), stored('t/x', i)];
        sent.push(...batch.map((e) => e.id));
        await b?.publish(batch);
      }
      await until(() => got1.length >= sent.length && got2.length >= sent.length);
      expect(got1).toEqual(sent);
      expect(got2).toEqual(sent);
    });

    it('stops delivering to a listener once it unsubscribes', async () => {
      const [b] = await make(1);
      const kept: string[] = [];
      const dropped: string[] = [];
      b?.subscribe((evs) => kept.push(...evs.map((e) => e.id)));
      const off = b?.subscribe((evs) => dropped.push(...evs.map((e) => e.id)));
      await b?.publish([stored('t', 1)]);
      await until(() => kept.length === 1 && dropped.length === 1);
      off?.();
      await b?.publish([stored('t', 2)]);
      await until(() => kept.length === 2);
      expect(dropped).toHaveLength(1);
    });

    it('carries control messages to every control listener', async () => {
      const [b] = await make(1);
      const got: ControlMessage[] = [];
      b?.onControl((m) => got.push(m));
      await b?.sendControl({ kind: 'disconnect', user: 'u1' });
      await until(() => got.length === 1);
      expect(got[0]).toEqual({ kind: 'disconnect', user: 'u1' });
    });

    it.skipIf(maxNodes < 3)('fans out between nodes with per-topic order preserved', async () => {
      const nodes = await make(3);
      const got = nodes.map(() => [] as StoredEvent[]);
      for (const [k, b] of nodes.entries()) b.subscribe((evs) => got[k]?.push(...evs));
      const sent: StoredEvent[] = [];
      for (let i = 0; i < 300; i++) {
        const e = stored(`topic/${i % 4}`, i);
        sent.push(e);
        await nodes[i % 3]?.publish([e]);
      }
      await until(() => got.every((g) => g.length >= sent.length));
      for (const g of got) {
        expect(new Set(g.map((e) => e.id)).size).toBe(sent.length);
        for (let t = 0; t < 4; t++) {
          const want = sent.filter((e) => e.topic === `topic/${t}`).map((e) => e.id);
          expect(g.filter((e) => e.topic === `topic/${t}`).map((e) => e.id)).toEqual(want);
        }
      }
    });

    it.skipIf(maxNodes < 2)('carries control messages between nodes', async () => {
      const [a, b] = await make(2);
      const got: ControlMessage[] = [];
      b?.onControl((m) => got.push(m));
      await a?.sendControl({ kind: 'revoke', jti: 'abc' });
      await until(() => got.length === 1);
      expect(got[0]).toEqual({ kind: 'revoke', jti: 'abc' });
    });
  });
}
