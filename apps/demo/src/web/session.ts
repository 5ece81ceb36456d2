/**
 * The signed-in user, shared by every tab of the origin. The session itself is the backend's
 * HttpOnly cookie (JavaScript never sees a token); this store mirrors who it belongs to, learns
 * it from `GET /api/session` on load, and tells the other tabs over a BroadcastChannel when this
 * tab signs in or out (or is forced out), so they follow at once.
 */
import { useSyncExternalStore } from 'react';

export interface User {
  id: string;
  name: string;
  role: 'admin' | 'member';
  title: string;
}
export interface Session {
  user: User;
}

type TabMessage =
  | { kind: 'signed-in'; user: User }
  | { kind: 'signed-out'; reason: string | null }
  /** The backend refused the session (401): only a tab still signed in follows it. */
  | { kind: 'expired'; reason: string };

const listeners = new Set<() => void>();
let current: Session | null = null;
/** Whether the first `GET /api/session` answered (until then, neither the app nor the sign-in shows). */
let ready = false;
/** Why the last session ended (a forced logout's reason), shown on the sign-in screen. */
let endedBecause: string | null = null;

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('tidings-demo-session');

function emit(): void {
  for (const l of listeners) l();
}

function apply(m: TabMessage): void {
  if (m.kind === 'signed-in') {
    if (current?.user.id === m.user.id) return;
    current = { user: m.user };
    endedBecause = null;
  } else {
    // A 401 seen while the sign-out spreads must not replace its reason (a forced logout's).
    if (m.kind === 'expired' && current === null) return;
    if (current === null && endedBecause === m.reason) return;
    current = null;
    endedBecause = m.reason;
  }
  emit();
}

if (channel) channel.onmessage = (e: MessageEvent<TabMessage>) => apply(e.data);

export const session = {
  get: (): Session | null => current,
  isReady: (): boolean => ready,
  endedBecause: (): string | null => endedBecause,
  /** Asks the backend who the session cookie belongs to. */
  async load(): Promise<void> {
    try {
      const res = await fetch('/api/session');
      const user = res.ok ? ((await res.json()) as { user: User | null }).user : null;
      current = user ? { user } : null;
    } catch {
      current = null;
    }
    ready = true;
    emit();
  },
  /** After `POST /api/login` set the cookies: this tab and the others show the app. */
  signedIn(user: User): void {
    const m: TabMessage = { kind: 'signed-in', user };
    apply(m);
    channel?.postMessage(m);
  },
  /**
   * Signs out here and in every other tab, and has the backend clear the cookies.
   * @param reason - shown on the sign-in screen (a forced logout's reason); null for a plain sign-out.
   */
  end(reason: string | null): void {
    const m: TabMessage = { kind: 'signed-out', reason };
    apply(m);
    channel?.postMessage(m);
    fetch('/api/logout', { method: 'POST' }).catch(() => {
      // Offline: the cookie stays until it expires, but no tab shows the session any more.
    });
  },
  /** The backend refused the session (a 401): signs out here and in the tabs still signed in. */
  expired(reason: string): void {
    if (current === null) return;
    const m: TabMessage = { kind: 'expired', reason };
    apply(m);
    channel?.postMessage(m);
  },
  subscribe(l: () => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

if (typeof window !== 'undefined') void session.load();

export function useSession(): Session | null {
  return useSyncExternalStore(session.subscribe, session.get);
}

export function useSessionReady(): boolean {
  return useSyncExternalStore(session.subscribe, session.isReady);
}

/** Why the last session ended, re-read when it changes (a forced logout's reason arriving late). */
export function useEndedBecause(): string | null {
  return useSyncExternalStore(session.subscribe, session.endedBecause);
}
