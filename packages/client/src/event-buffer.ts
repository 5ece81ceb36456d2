import { matchTopic, validatePattern } from '@tidings/protocol';

/** What an {@link EventBuffer} holds: anything with an envelope's type, topic and payload. */
export interface BufferedEvent {
  readonly type: string;
  readonly topic: string;
  readonly data: unknown;
}

/**
 * A query over buffered events. Every given criterion must hold.
 * @typeParam E - the buffered event type.
 */
export interface EventQuery<E extends BufferedEvent = BufferedEvent> {
  /** Only events of this type. */
  type?: E['type'] | undefined;
  /** Only events on this topic, or matching this pattern (`tenant/acme/**`). */
  topic?: string | undefined;
  /**
   * Only events whose payload has these field values (compared with `Object.is`, top-level
   * fields), or for which this predicate returns true.
   */
  where?: Readonly<Record<string, unknown>> | ((data: E['data'], event: E) => boolean) | undefined;
}

function checkQuery<E extends BufferedEvent>(query: EventQuery<E>): void {
  if (typeof query !== 'object' || query === null) {
    throw new TypeError(
      'An event query is an object such as { type: "lease-added", where: { ip: "10.0.0.7" } }.',
    );
  }
  if (query.topic !== undefined) {
    const err = validatePattern(query.topic);
    if (err) throw new TypeError(err.message);
  }
}

function matches<E extends BufferedEvent>(e: E, q: EventQuery<E>): boolean {
  if (q.type !== undefined && e.type !== q.type) return false;
  if (
    q.topic !== undefined &&
    !(q.topic.includes('*') ? matchTopic(q.topic, e.topic) : q.topic === e.topic)
  ) {
    return false;
  }
  const w = q.where;
  if (w === undefined) return true;
  if (typeof w === 'function') return w(e.data, e);
  const d = e.data;
  if (typeof d !== 'object' || d === null) return false;
  for (const [k, v] of Object.entries(w)) {
    if (!Object.is((d as Record<string, unknown>)[k], v)) return false;
  }
  return true;
}

/**
 * The last `capacity` events, oldest first, in a ring: pushing never allocates once full.
 * @typeParam E - the buffered event type.
 */
export class EventBuffer<E extends BufferedEvent = BufferedEvent> {
  private readonly ring: (E | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<E | undefined>(capacity);
  }

  /** How many events are held. */
  get size(): number {
    return this.count;
  }

  /** Appends an event, dropping the oldest when full. */
  push(e: E): void {
    if (this.capacity === 0) return;
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = e;
      this.count++;
    } else {
      this.ring[this.start] = e;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Every held event, oldest first. */
  all(): E[] {
    const out: E[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.start + i) % this.capacity] as E);
    return out;
  }

  /** The held events of one type, oldest first. */
  ofType<K extends E['type']>(type: K): Extract<E, { type: K }>[] {
    return this.all().filter((e) => e.type === type) as Extract<E, { type: K }>[];
  }

  /**
   * The held events matching `query`, oldest first.
   * @throws {TypeError} when `query.topic` is not a valid topic or pattern.
   */
  find(query: EventQuery<E>): E[] {
    checkQuery(query);
    return this.all().filter((e) => matches(e, query));
  }

  /**
   * The newest event, or the newest matching `query`.
   * @throws {TypeError} when `query.topic` is not a valid topic or pattern.
   */
  last(query?: EventQuery<E>): E | undefined {
    if (query) checkQuery(query);
    for (let i = this.count - 1; i >= 0; i--) {
      const e = this.ring[(this.start + i) % this.capacity] as E;
      if (!query || matches(e, query)) return e;
    }
    return undefined;
  }

  /** Forgets every held event. */
  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.count = 0;
  }
}
