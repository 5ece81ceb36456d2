import { type KV, Kvm } from '@nats-io/kv';
import { digest } from './nats-event-codec.js';
import type { NatsHandles } from './nats-link.js';

/**
 * The index of supplied ids: a KV bucket whose key is (id, topic, publisher), digested, and whose
 * value is the stream sequence of the event. An entry is only a pointer: the event it names is
 * read back and checked (same id, topic and publisher) before it counts, so an entry that
 * outlived its evicted event means nothing, and the index never needs cleaning in step with
 * retention (entries expire on the bucket's own age limit).
 */
export class NatsSuppliedIds {
  private kv: Promise<KV> | undefined;

  constructor(
    private readonly bucket: string,
    private readonly ttlMs: number,
    private readonly replicas: number,
  ) {}

  /** The bucket, created on first use. */
  open(h: NatsHandles): Promise<KV> {
    this.kv ??= new Kvm(h.nc)
      .create(this.bucket, { history: 1, ttl: this.ttlMs, replicas: this.replicas })
      .catch((err: unknown) => {
        this.kv = undefined;
        throw err;
      });
    return this.kv;
  }

  /** The KV key of a supplied id of `publisher` on `topic`. */
  static key(id: string, topic: string, publisher: string | undefined): string {
    return `${digest(id)}.${digest(topic)}.${digest(publisher ?? '')}`;
  }

  /** The sequence the index holds for `key`, if any. */
  async lookup(h: NatsHandles, key: string): Promise<number | undefined> {
    const e = await (await this.open(h)).get(key);
    if (e?.operation !== 'PUT') return undefined;
    const seq = Number(e.string());
    return Number.isSafeInteger(seq) ? seq : undefined;
  }

  /** Records that `key` is the event at `seq`. */
  async record(h: NatsHandles, key: string, seq: number): Promise<void> {
    await (await this.open(h)).put(key, String(seq));
  }

  /**
   * The sequences of events carrying `id` on the given topics (any publisher), or on any topic
   * when `topics` is undefined.
   */
  async find(h: NatsHandles, id: string, topics: readonly string[] | undefined): Promise<number[]> {
    const kv = await this.open(h);
    const filters = topics ? topics.map((t) => `${digest(id)}.${digest(t)}.*`) : [`${digest(id)}.>`];
    const seqs: number[] = [];
    for (const filter of filters) {
      const keys: string[] = [];
      for await (const k of await kv.keys(filter)) keys.push(k);
      for (const k of keys) {
        const seq = await this.lookup(h, k);
        if (seq !== undefined) seqs.push(seq);
      }
    }
    return seqs;
  }
}
