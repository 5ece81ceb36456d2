// The React 18 test project resolves `use-sync-external-store/shim` (imported by swr) here: the
// real shim is CommonJS and would require the root's React 19. React 18 has the hook built in.
export { useSyncExternalStore } from 'react';
