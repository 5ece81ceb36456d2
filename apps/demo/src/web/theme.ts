/** Light, dark or the system's choice; the choice is remembered, `data-theme` on <html> applies it. */
import { useSyncExternalStore } from 'react';

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'tidings-demo-theme';
const listeners = new Set<() => void>();

function stored(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export const theme = {
  get: stored,
  set(choice: ThemeChoice): void {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
    theme.apply();
    for (const l of listeners) l();
  },
  apply(): void {
    const c = stored();
    if (c === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', c);
  },
};

export function useTheme(): ThemeChoice {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, stored);
}
