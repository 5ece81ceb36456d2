import { HubError } from '../core/errors.js';
import { MAX_MERCURE_TOPIC_LENGTH, MAX_TEMPLATES_PER_SUBSCRIPTION, MERCURE_PATH } from './mercure-options.js';
import type { TopicSelector } from './selector.js';

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

export function bad(message: string, detail?: Record<string, unknown>): HubError {
  return new HubError(400, 'bad-request', message, detail);
}

/** Checks a topic or selector as given by a client; `what` names it in messages. */
export function checkTopic(t: string, what: string): void {
  if (t.length === 0) throw bad(`A ${what} is empty; give an IRI such as https://example.com/books/1.`);
  if (t.length > MAX_MERCURE_TOPIC_LENGTH) {
    throw bad(`A ${what} is ${t.length} characters long; the limit is ${MAX_MERCURE_TOPIC_LENGTH}.`, {
      limit: MAX_MERCURE_TOPIC_LENGTH,
    });
  }
  if (CONTROL_CHARS.test(t)) {
    throw bad(`The ${what} "${t.slice(0, 60)}" contains a control character; topics are IRIs.`);
  }
}

/**
 * Refuses, with `400` and a sentence, selectors that are templates over the limits of
 * `compileUriTemplate`, and more than {@link MAX_TEMPLATES_PER_SUBSCRIPTION} templates in one
 * subscription (each distinct template is matched against every update).
 */
export function checkSelectors(selectors: readonly TopicSelector[]): void {
  const over = selectors.find((s) => s.refused !== undefined);
  if (over) {
    throw new HubError(
      400,
      'template-too-complex',
      `The topic selector "${over.source.slice(0, 60)}" is not accepted: ${over.refused}. Use a simpler URI template such as https://example.com/books/{id}.`,
      { topic: over.source.slice(0, 256) },
    );
  }
  const templates = selectors.filter((s) => s.template !== undefined).length;
  if (templates > MAX_TEMPLATES_PER_SUBSCRIPTION) {
    throw new HubError(
      400,
      'too-many-templates',
      `This subscription names ${templates} URI templates; the limit is ${MAX_TEMPLATES_PER_SUBSCRIPTION}. Combine them into fewer templates, or subscribe to exact topics.`,
      { limit: MAX_TEMPLATES_PER_SUBSCRIPTION },
    );
  }
}

/** Whether a topic lies in the hub's own namespace (`/.well-known/mercure/…`, relative or absolute). */
export function isReservedMercureTopic(topic: string): boolean {
  let path = topic;
  try {
    path = new URL(topic, 'http://hub.invalid').pathname;
  } catch {
    // not resolvable: compare the raw string
  }
  return path === MERCURE_PATH || path.startsWith(`${MERCURE_PATH}/`);
}
