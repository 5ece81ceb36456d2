import { PrunedTopics } from '../pruned-topics.js';
import type { RetentionPolicy } from '../retention.js';
import type { NatsHandles } from './nats-link.js';
import type { NatsNames } from './nats-names.js';
import { apiErrorCode, WRONG_LAST_SEQUENCE } from './nats-stream.js';

const utf8 = new TextDecoder();

/**
 * The watermarks of topics that age retention emptied ({@link PrunedTopics}), one per age limit,
 * kept in the stream itself as the last message of `<prefix>.meta.pruned.<ms>`: shared by every
 * node, gone with the stream.
 */
export class NatsWatermarks {
  constructor(
    private readonly names: NatsNames,
    private readonly policy: RetentionPolicy,
  ) {}

  private subject(ageMs: number): string {
    return `${this.names.prefix}.meta.pruned.${Math.floor(ageMs)}`;
  }

  /** Every age limit's watermark. */
  async load(h: NatsHandles): Promise<PrunedTopics> {
    const pruned = new PrunedTopics(this.policy);
    const ages = this.policy.ageLimits();
    const got = await Promise.all(
      ages.map((age) => h.jsm.direct.getMessage(this.names.stream, { last_by_subj: this.subject(age) })),
    );
    pruned.load(got.flatMap((m, i) => (m ? [[ages[i] as number, utf8.decode(m.data)] as const] : [])));
    return pruned;
  }

  /** Raises the watermark of `ageMs` to `pos` (never lowers it, whatever other nodes write). */
  async raise(h: NatsHandles, ageMs: number, pos: number): Promise<void> {
    const subject = this.subject(ageMs);
    for (let attempt = 0; attempt < 10; attempt++) {
      const m = await h.jsm.direct.getMessage(this.names.stream, { last_by_subj: subject });
      if (m && Number(utf8.decode(m.data)) >= pos) return;
      try {
        await h.js.publish(subject, String(pos), { expect: { lastSubjectSequence: m?.seq ?? 0 } });
        return;
      } catch (err) {
        if (apiErrorCode(err) !== WRONG_LAST_SEQUENCE) throw err;
      }
    }
  }
}
