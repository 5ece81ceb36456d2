import type { Hub } from '../hub.js';

/** Options of {@link startSysPublisher}. */
export interface SysPublisherOptions {
  /** How often to send. @defaultValue 1000 */
  intervalMs?: number | undefined;
  /** The `$sys` topic to send to. @defaultValue "$sys/stats" */
  topic?: string | undefined;
  /** The event type. @defaultValue "stats" */
  type?: string | undefined;
  /** Called every interval, whether or not anyone listens (e.g. to sample a monitor). */
  tick?: (() => void) | undefined;
}

/**
 * Sends `snapshot()` on a `$sys` topic every interval, but builds it only while some admitted
 * connection listens, so an idle hub pays for a timer and nothing else.
 * @returns a function that stops the timer.
 */
export function startSysPublisher(
  hub: Hub,
  snapshot: () => unknown,
  o: SysPublisherOptions = {},
): () => void {
  const topic = o.topic ?? '$sys/stats';
  const type = o.type ?? 'stats';
  const timer = setInterval(() => {
    o.tick?.();
    if (hub.sys.listenerCount > 0) hub.sys.emit(topic, type, snapshot());
  }, o.intervalMs ?? 1000);
  timer.unref();
  return () => clearInterval(timer);
}
