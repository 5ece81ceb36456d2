/**
 * The signed-in user, per tab (sessionStorage), so two windows of one browser can be two users.
 * A tiny external store read with useSyncExternalStore.
 */
import { useSyncExternalStore } from 'react';

export interface User {
  id: string;
  name: string;
  role: 'admin' | 'member';
  title: string;
}
export interface Session {
  token: string;
  user: User;
}

const KEY = 'tidings-demo-session';
const listeners = new Set<() => void>();
let current: Session | null = read();
/** Why the last session ended (a forced logout's reason), shown on the sign-in screen. */
let endedBecause: string | null = null;

function read(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function emit(): void {
  for (const l of listeners) l();
}

export const session = {
  get: (): Session | null => current,
  endedBecause: (): string | null => endedBecause,
  set(s: Session): void {
    current = s;
    endedBecause = null;
    sessionStorage.setItem(KEY, JSON.stringify(s));
    emit();
  },
  setToken(token: string): void {
    if (!current) return;
    session.set({ ...current, token });
  },
  end(reason: string | null): void {
    current = null;
    endedBecause = reason;
    sessionStorage.removeItem(KEY);
    emit();
  },
  subscribe(l: () => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

export function useSession(): Session | null {
  return useSyncExternalStore(session.subscribe, session.get);
}
