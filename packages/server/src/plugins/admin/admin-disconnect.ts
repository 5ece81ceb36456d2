import { HubError } from '../../core/errors.js';
import type { Hub } from '../../core/hub-types.js';
import type { HubPeers } from '../../engines/ipc/ipc-peers.js';
import { type HubRequest, type HubResponse, json } from '../../http/hub-request.js';
import { parseJsonBody } from '../../http/parse-json-body.js';

/** The question `POST /admin/disconnect` asks the other processes of a hub. */
export const DISCONNECT_QUESTION = 'tidings:admin-disconnect';

/** Whom `POST /admin/disconnect` names. */
export interface DisconnectTarget {
  readonly connection?: unknown;
  readonly user?: unknown;
}

/** Closes this process's connections named by id or user; returns their ids. */
export function disconnectHere(hub: Hub, target: DisconnectTarget): string[] {
  const ids =
    typeof target.connection === 'string'
      ? hub.connections().some((c) => c.id === target.connection)
        ? [target.connection]
        : []
      : typeof target.user === 'string'
        ? hub
            .connections()
            .filter((c) => c.user === target.user)
            .map((c) => c.id)
        : [];
  for (const id of ids) hub.disconnect(id, 'disconnected');
  return ids;
}

/**
 * `POST /admin/disconnect` with `{"connection":"id"}` or `{"user":"u1"}`, the caller already
 * checked: closes the connections on this node, or with `peers` on whichever process holds them.
 */
export async function disconnectRoute(
  hub: Hub,
  req: HubRequest,
  peers: HubPeers | undefined,
): Promise<HubResponse> {
  const ctype = req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(ctype)) {
    throw new HubError(
      415,
      'unsupported-media-type',
      'POST /admin/disconnect takes application/json such as {"connection":"id"} or {"user":"u1"}.',
    );
  }
  // req.text's own 413 passes through: only the parse may answer invalid-json.
  const body = parseJsonBody(await req.text(4096), {
    maxDepth: hub.options.maxJsonDepth,
    hint: 'Send {"connection":"id"} or {"user":"u1"}.',
  }) as DisconnectTarget | null;
  const { connection, user } = body ?? {};
  if ((typeof connection === 'string') === (typeof user === 'string')) {
    throw new HubError(
      400,
      'bad-request',
      'Name exactly one of "connection" (a connection id) or "user" (a user id) as a string.',
    );
  }
  let ids: string[];
  if (peers) {
    const all = await peers.ask<string[]>(DISCONNECT_QUESTION, { connection, user });
    ids = all.answers.flat();
    if (ids.length === 0 && all.missing > 0) {
      throw new HubError(
        503,
        'unavailable',
        `${all.missing} of this hub's worker processes did not answer in time, and the others hold no such connection; retry.`,
        { missing: all.missing },
        { 'retry-after': '1' },
      );
    }
  } else {
    ids = disconnectHere(hub, { connection, user });
  }
  const where = peers ? 'this hub' : 'this node';
  if (ids.length === 0) {
    throw new HubError(
      404,
      'not-found',
      typeof connection === 'string'
        ? `No connection "${connection}" is open on ${where}; it may have closed already.`
        : `User "${String(user)}" has no open connection on ${where}.`,
    );
  }
  return json(200, { node: hub.nodeId, disconnected: ids });
}
