import type { Authorizer, Principal } from '../../auth/authorizer.js';
import type { HubRequest } from '../../http/hub-request.js';
import type { CommandOutcome, CommandRegistry } from './command-registry.js';

/** A command call admitted by {@link admitCall}: who calls. */
export interface AdmittedCall {
  readonly ok: true;
  readonly principal: Principal;
}

/**
 * The admission of a command call, the same over HTTP and WebSocket: the caller must be
 * authorized for the name first (so it learns nothing of names it may not call), then the name
 * must be registered.
 * @returns the caller's principal, or the refusal of an unknown name as an outcome.
 * @throws HubError when the authorizer refuses (a WebSocket answers it with a `nack`).
 */
export async function admitCall(
  registry: CommandRegistry,
  authorizer: Authorizer,
  req: HubRequest,
  name: string,
): Promise<AdmittedCall | Extract<CommandOutcome, { ok: false }>> {
  const principal = await (authorizer.authorizeCommand as NonNullable<Authorizer['authorizeCommand']>)(
    req,
    name,
  );
  if (!registry.has(name)) {
    const u = registry.unknown(name);
    if (!u.ok) return u;
  }
  return { ok: true, principal };
}
