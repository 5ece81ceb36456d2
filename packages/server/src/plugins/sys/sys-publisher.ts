import type { Hub } from '../../core/hub-types.js';

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
 * connection listens, so an idle hub pays for a timer and nothing else. A snapshot may be a
 * promise (figures gathered from other processes); while one is pending, ticks send nothing.
 * @returns a function that stops the timer.
 */
export function startSysPublisher(
  hub: Hub,
  snapshot: () => unknown,
  o: SysPublisherOptions = {},
): () => void {
  const topic = o.topic ?? '$sys/stats';
  const type = o.type ?? 'stats';
  let building = false;
  let stopped = false;
  const timer = setInterval(() => {
    o.tick?.();
    if (hub.sys.listenerCount === 0 || building) return;
    const s = snapshot();
    if (!(s instanceof Promise)) {
      hub.sys.emit(topic, type, s);
      return;
    }
    building = true;
    s.then(
      (v) => {
        if (!stopped && hub.sys.listenerCount > 0) hub.sys.emit(topic, type, v);
      },
      // A failed gathering skips one tick; the next one tries again.
      () => {},
    ).finally(() => {
      building = false;
    });
  }, o.intervalMs ?? 1000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
