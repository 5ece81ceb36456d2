import { type KV, Kvm } from '@nats-io/kv';
import type { NatsLink } from './nats-link.js';

/** `s` as one KV key token: base64url, which KV keys accept as is. */
export function keyToken(s: string): string {
  return s === '' ? '=' : Buffer.from(s, 'utf8').toString('base64url');
}

/** The string of a {@link keyToken}. */
export function fromKeyToken(token: string): string {
  return token === '=' ? '' : Buffer.from(token, 'base64url').toString('utf8');
}

/** A KV bucket opened (created if need be) on first use, again after a failure. */
export class LazyBucket {
  private kv: Promise<KV> | undefined;

  constructor(
    private readonly link: NatsLink,
    private readonly name: string,
    private readonly options: { ttlMs?: number; replicas: number },
  ) {}

  async get(consequence: string): Promise<KV> {
    const h = await this.link.get(consequence);
    this.kv ??= new Kvm(h.nc).create(this.name, {
      history: 1,
      replicas: this.options.replicas,
      ...(this.options.ttlMs === undefined ? {} : { ttl: this.options.ttlMs }),
    });
    try {
      return await this.kv;
    } catch (err) {
      this.kv = undefined;
      throw this.link.failure(err, consequence);
    }
  }
}
