import type { Principal } from '../../auth/authorizer.js';
import type { LogoutTarget } from '../../auth/forced-logout.js';
import { HubError } from '../../core/errors.js';

/**
 * Limits a forced logout to the caller's tenant: a `sub` or session id names someone within one
 * tenant. A caller with a tenant (a custom `authorizeAdmin` may return one) reaches only its own
 * tenant and may not name another; a caller without one (the publisher key) reaches the tenant it
 * names, or every tenant when it names none.
 * @throws HubError 403 when a tenant's caller names another tenant.
 */
export function scopeLogout(target: LogoutTarget, caller: Principal | undefined): LogoutTarget {
  const own = caller?.tenant;
  if (own === undefined) return target;
  if (target.tenant !== undefined && target.tenant !== own) {
    throw new HubError(
      403,
      'forbidden',
      `You may log out only principals of your own tenant "${own}"; leave "tenant" out or name your own.`,
      { tenant: target.tenant },
    );
  }
  return { ...target, tenant: own };
}
