/**
 * The revocation-store key of a user's logout (a cut-off on the tokens issued before it). A
 * tenant narrows it to that tenant's user of that name; without one it covers the user in
 * every tenant.
 * @see RevocationStore.revokeIssuedUpTo
 */
export function userLogoutKey(user: string, tenant?: string): string {
  return `user:${JSON.stringify(tenant === undefined ? [user] : [tenant, user])}`;
}
