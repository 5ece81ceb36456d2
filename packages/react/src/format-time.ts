/**
 * Formats an epoch-ms time as a wall-clock time and how long ago it was, e.g.
 * `14:03:22 (12 s ago)`; `'never'` for `null`.
 */
export function formatTime(ms: number | null, now: number = Date.now()): string {
  if (ms === null) return 'never';
  const clock = new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return `${clock} (${formatAgo(now - ms)})`;
}

/** `just now`, `12 s ago`, `3 min ago`, `2 h ago`. */
export function formatAgo(deltaMs: number): string {
  const s = Math.round(deltaMs / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  return `${Math.round(m / 60)} h ago`;
}
