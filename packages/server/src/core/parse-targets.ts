import { HubError } from './errors.js';
import type { EventMeta } from './stored-event.js';

/**
 * Reads a publish item's `to` field (targeted delivery): `{"users":[…]}` and/or `{"sessions":[…]}`,
 * each a list of up to 1,000 non-empty strings.
 * @throws HubError 400 `invalid-event` naming the expected shape.
 */
export function parseTargets(value: unknown, where: string): Partial<EventMeta> {
  const bad = () =>
    new HubError(
      400,
      'invalid-event',
      `${where}The "to" field must look like {"users":["u1"]} or {"sessions":["s1"]}.`,
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad();
  const v = value as Record<string, unknown>;
  const list = (x: unknown) =>
    x === undefined
      ? undefined
      : Array.isArray(x) && x.length <= 1000 && x.every((s) => typeof s === 'string' && s.length > 0)
        ? (x as string[])
        : (() => {
            throw bad();
          })();
  for (const k of Object.keys(v)) if (k !== 'users' && k !== 'sessions') throw bad();
  const users = list(v.users);
  const sessions = list(v.sessions);
  if (!users && !sessions) throw bad();
  return { to: { ...(users && { users }), ...(sessions && { sessions }) } };
}
