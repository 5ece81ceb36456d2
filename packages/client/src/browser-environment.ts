import type {
  ClientEnvironment,
  EventSourceConstructor,
  LockSource,
  OnlineSource,
  StorageLike,
  TabChannel,
  TimerHandle,
  VisibilitySource,
  WebSocketConstructor,
} from './environment.js';

// The one module that reads host globals. Every lookup happens when a service is used, not at
// import, so fake timers installed later still apply and server-side rendering never breaks.

interface HostGlobals {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: unknown): void;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  EventSource?: EventSourceConstructor;
  WebSocket?: WebSocketConstructor;
  BroadcastChannel?: new (
    name: string,
  ) => {
    postMessage(m: unknown): void;
    addEventListener(t: 'message', l: (e: { data: unknown }) => void): void;
    removeEventListener(t: 'message', l: (e: { data: unknown }) => void): void;
    close(): void;
  };
  document?: {
    visibilityState?: string;
    addEventListener(t: string, l: () => void): void;
    removeEventListener(t: string, l: () => void): void;
  };
  navigator?: {
    onLine?: boolean;
    locks?: {
      request(name: string, options: { signal: AbortSignal }, cb: () => Promise<void>): Promise<void>;
    };
  };
  addEventListener?: (t: string, l: () => void) => void;
  removeEventListener?: (t: string, l: () => void) => void;
  localStorage?: StorageLike;
  location?: { href: string };
}

const host = globalThis as unknown as HostGlobals;

function visibility(): VisibilitySource {
  const doc = host.document;
  if (!doc || typeof doc.visibilityState !== 'string') {
    return { isVisible: () => true, subscribe: () => () => {} };
  }
  const isVisible = () => doc.visibilityState !== 'hidden';
  return {
    isVisible,
    subscribe(listener) {
      const l = () => listener(isVisible());
      doc.addEventListener('visibilitychange', l);
      return () => doc.removeEventListener('visibilitychange', l);
    },
  };
}

function online(): OnlineSource {
  const add = host.addEventListener;
  const nav = host.navigator;
  if (typeof add !== 'function' || typeof nav?.onLine !== 'boolean') {
    return { isOnline: () => true, subscribe: () => () => {} };
  }
  return {
    isOnline: () => nav.onLine !== false,
    subscribe(listener) {
      const on = () => listener(true);
      const off = () => listener(false);
      add.call(globalThis, 'online', on);
      add.call(globalThis, 'offline', off);
      return () => {
        host.removeEventListener?.call(globalThis, 'online', on);
        host.removeEventListener?.call(globalThis, 'offline', off);
      };
    },
  };
}

function channel(): ((name: string) => TabChannel) | undefined {
  const BC = host.BroadcastChannel;
  if (typeof BC !== 'function') return undefined;
  return (name) => {
    const bc = new BC(name);
    return {
      post: (m) => bc.postMessage(m),
      subscribe(listener) {
        const l = (e: { data: unknown }) => listener(e.data);
        bc.addEventListener('message', l);
        return () => bc.removeEventListener('message', l);
      },
      close: () => bc.close(),
    };
  };
}

function locks(): LockSource | undefined {
  const l = host.navigator?.locks;
  if (!l || typeof l.request !== 'function') return undefined;
  return { request: (name, signal, hold) => l.request(name, { signal }, hold) };
}

function storage(): StorageLike | undefined {
  try {
    // Reading localStorage throws in sandboxed frames and with storage blocked.
    return host.localStorage ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The default {@link ClientEnvironment}: the host's timers, `fetch`, `EventSource`, page
 * visibility, `online`/`offline` events, `localStorage`, `BroadcastChannel` and Web Locks, each
 * replaced by a neutral stand-in where the host lacks it (in Node a page is always visible and
 * always online).
 */
export function browserEnvironment(): ClientEnvironment {
  return {
    timers: {
      setTimeout: (fn, ms) => host.setTimeout(fn, ms),
      clearTimeout: (h) => host.clearTimeout(h),
      now: () => Date.now(),
    },
    random: () => Math.random(),
    fetch: typeof host.fetch === 'function' ? (url, init) => host.fetch!(url, init) : undefined,
    EventSource: typeof host.EventSource === 'function' ? host.EventSource : undefined,
    WebSocket: typeof host.WebSocket === 'function' ? host.WebSocket : undefined,
    visibility: visibility(),
    online: online(),
    storage: storage(),
    openChannel: channel(),
    locks: locks(),
    baseUrl: host.location?.href,
    logger: {
      debug: (m, ...d) => console.debug(`[tidings] ${m}`, ...d),
      warn: (m, ...d) => console.warn(`[tidings] ${m}`, ...d),
      error: (m, ...d) => console.error(`[tidings] ${m}`, ...d),
    },
  };
}
