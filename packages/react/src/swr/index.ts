/**
 * `@tidings/react/swr`: cache invalidation for SWR. The only entry point that imports `swr`.
 * @packageDocumentation
 */
export { type SWRTarget, swrKeyMatcher } from './swr-key-matcher.js';
export { type UseSWRInvalidationOptions, useSWRInvalidation } from './use-swr-invalidation.js';
