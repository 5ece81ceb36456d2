import { expect } from 'vitest';
import { post, StreamReader, until } from '../helpers.js';

/**
 * The bystander every attack case keeps an eye on: a subscriber on its own topic, fed by its own
 * publisher, with a ledger of every event the hub acknowledged (2xx). After the attack, every
 * acknowledged event must have reached the bystander exactly once and in order: an attack may be
 * refused, but it must never cost an innocent client an event.
 */
export class Innocent {
  /** Ids of acknowledged publishes, in acknowledgement order. */
  readonly ledger: string[] = [];
  private seq = 0;

  private constructor(
    readonly base: string,
    readonly topic: string,
    readonly reader: StreamReader,
    private readonly headers: Record<string, string>,
  ) {}

  /**
   * Opens the bystander's stream on `topic`. `headers` authenticate both its subscription and its
   * publishes (for example `{ authorization: 'Bearer …' }`), when the hub needs them.
   */
  static async open(
    base: string,
    opts: { topic?: string; headers?: Record<string, string>; query?: Record<string, string> } = {},
  ): Promise<Innocent> {
    const topic = opts.topic ?? `innocent/${Math.random().toString(36).slice(2, 10)}`;
    const headers = opts.headers ?? {};
    const reader = await StreamReader.open(base, [topic], { headers, query: opts.query ?? {} });
    expect(reader.response.status).toBe(200);
    await reader.waitFor((r) => r.of('connected').length > 0);
    return new Innocent(base, topic, reader, headers);
  }

  /** Publishes one event to the bystander's topic and records it in the ledger if acknowledged. */
  async publish(): Promise<number> {
    const n = ++this.seq;
    const res = await post(
      this.base,
      { topic: this.topic, type: 'tick', data: { n } },
      { headers: this.headers },
    );
    if (res.status >= 200 && res.status < 300) this.ledger.push(String(n));
    return res.status;
  }

  /**
   * Publishes `count` more events, then asserts that every acknowledged event (before and during
   * the attack) arrived exactly once, in order, within `ms`.
   */
  async assertUnharmed(count = 3, ms = 10_000): Promise<void> {
    for (let i = 0; i < count; i++) expect(await this.publish()).toBeLessThan(300);
    const seen = () => this.reader.events.map((e) => String((e.data as { n: number }).n));
    await until(
      () => seen().length >= this.ledger.length,
      ms,
      () => `the bystander got ${seen().length} of ${this.ledger.length} acknowledged events`,
    );
    expect(seen()).toEqual(this.ledger);
    expect(this.reader.ended).toBe(false);
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
