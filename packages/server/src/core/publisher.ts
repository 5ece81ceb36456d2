import type { PublishInput } from '@tidings/protocol';
import { BACKEND_PUBLISHER } from '../auth/publisher-key.js';
import type { Engine } from '../engines/engine.js';
import type { AppendResult } from '../engines/history-store.js';
import { HubError, isHubError } from './errors.js';
import type { PublishResult } from './hub-types.js';
import type { Logger } from './logger.js';
import type { HubObserver } from './observer.js';
import type { ResolvedHubOptions } from './options.js';
import {
  type ExtraFieldParser,
  type ParsedPublish,
  parsePublishBody,
  parsePublishInputs,
} from './parse-publish.js';
import { parseTargets } from './parse-targets.js';
import { isReservedTopic } from './reserved-topics.js';
import { type NewEvent, toEnvelope } from './stored-event.js';

/** What the publisher needs from its hub. */
export interface PublisherHost {
  readonly options: ResolvedHubOptions;
  readonly engine: Engine;
  readonly log: Logger;
  readonly isClosing: boolean;
  observers(): Required<HubObserver>;
}

/**
 * The publish pipeline: validated events are appended to the store, then handed to the broker in
 * call order; the broker feeds the registry of every node (see `Registry.dispatch`).
 */
export class Publisher {
  private readonly extraFields = new Map<string, ExtraFieldParser>([['to', parseTargets]]);
  /** Broker hand-overs, chained so fan-out follows call order (see {@link publishParsed}). */
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly host: PublisherHost) {}

  /** Resolves once every publish begun so far was handed to the broker (or failed to be). */
  get settled(): Promise<void> {
    return this.tail;
  }

  /** Reads a `POST /publish` body (one item or a batch) into validated items. */
  parseBody(text: string): ReturnType<typeof parsePublishBody> {
    return parsePublishBody(text, this.host.options, this.extraFields);
  }

  /** `hub.publish`: validates, appends and fans out; answers with the envelopes as stored. */
  async publish(input: PublishInput | readonly PublishInput[]): Promise<PublishResult | PublishResult[]> {
    const items = parsePublishInputs(input, this.host.options, this.extraFields);
    const results = (await this.publishParsed(items)).map(toPublishResult);
    return Array.isArray(input) ? results : (results[0] as PublishResult);
  }

  /**
   * Appends and fans out validated events (meta included).
   * @param publisher who publishes (`publisherKey`), which scopes supplied ids.
   */
  async publishParsed(
    items: readonly ParsedPublish[],
    publisher: string = BACKEND_PUBLISHER,
  ): Promise<AppendResult[]> {
    if (this.host.isClosing) {
      throw new HubError(
        503,
        'unavailable',
        'The hub is shutting down; publish to another node or retry shortly.',
      );
    }
    for (const i of items) {
      if (isReservedTopic(i.topic)) {
        throw new HubError(
          400,
          'invalid-topic',
          `The topic "${i.topic}" starts with "$", which is reserved for the hub's own topics such as $sys/stats; publish to a name without "$".`,
        );
      }
    }
    const started = performance.now();
    const ts = Date.now();
    const events: NewEvent[] = items.map((i) => ({
      id: i.id,
      publisher: i.id === undefined ? undefined : publisher,
      topic: i.topic,
      type: i.type,
      ts,
      dataJson: i.dataJson,
      meta: i.meta,
    }));
    const engine = this.host.engine;
    // Appends start in call order (stores apply them in that order); the broker is fed through
    // a chain so fan-out follows the same order even when a store resolves out of order.
    const appending = engine.store.append(events);
    appending.catch((err) => {
      // A refusal of the publisher's input (e.g. a reserved id) is not a store failure.
      if (!isHubError(err) || err.status >= 500) this.host.observers().error('store', err);
    });
    const delivered = this.tail.then(async () => {
      const results = await appending.catch(() => undefined);
      if (!results) return; // the publisher gets the store's error below
      const fresh = results.filter((r) => !r.duplicate).map((r) => r.event);
      if (fresh.length === 0) return;
      this.host.observers().published(fresh, performance.now() - started);
      await engine.broker.publish(fresh);
    });
    const mine = delivered.catch((err) => {
      // The events are durable; subscribers that miss them live get them on resume.
      this.host.observers().error('broker', err);
      this.host.log.error({ err }, 'broker publish failed');
    });
    this.tail = mine;
    const results = await appending;
    await mine;
    return results;
  }
}

function toPublishResult(r: AppendResult): PublishResult {
  return { id: r.event.id, event: toEnvelope(r.event), duplicate: r.duplicate };
}
