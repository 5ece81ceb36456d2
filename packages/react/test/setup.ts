import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// Updates here come from real sockets, as in a browser, not from code a test could wrap in act():
// tell React this is not an act() environment (Testing Library's own act() calls still set it).
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;

// jsdom has no matchMedia; sonner asks it for the colour scheme.
if (typeof window !== 'undefined' && !window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

afterEach(() => {
  cleanup();
});
