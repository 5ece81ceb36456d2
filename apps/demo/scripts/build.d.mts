/** Bundles the demo server (dist/server.mjs). */
export function buildServer(): Promise<void>;
/** Builds the frontend with Vite (dist/web). */
export function buildWeb(): Promise<void>;
/** Both. */
export function buildDemo(): Promise<void>;
/** `@tidings/…` specifiers to the package sources. */
export const tidingsSources: Record<string, string>;
