/**
 * `@tidings/react/query`: cache invalidation for TanStack Query. The only entry point that
 * imports `@tanstack/react-query`.
 * @packageDocumentation
 */
export { type UseQueryInvalidationOptions, useQueryInvalidation } from './use-query-invalidation.js';
