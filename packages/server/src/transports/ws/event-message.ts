import type { StoredEvent } from '../../core/stored-event.js';

/** The `event` message of a stored event, built without re-serialising the payload. */
export function eventMessage(ev: StoredEvent): Buffer {
  return Buffer.from(
    `{"op":"event","id":${JSON.stringify(ev.id)},"topic":${JSON.stringify(ev.topic)},"type":${JSON.stringify(ev.type)},"time":"${new Date(ev.ts).toISOString()}","data":${ev.dataJson}}`,
  );
}
