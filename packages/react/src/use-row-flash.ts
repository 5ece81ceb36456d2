import { useEffect, useState } from 'react';
import { sameValue } from './same-value.js';
import { useLatest } from './use-latest.js';

/** How a row changed: `added` (green), `updated` (blue), `removed` (red, fading out). */
export type RowFlash = 'added' | 'updated' | 'removed';

/** A row key: what `getKey` returns. */
export type RowKey = string | number;

/** A row to render, with its change state while it lasts. */
export interface FlashedRow<T> {
  readonly key: RowKey;
  readonly row: T;
  /**
   * `null`, or how the row changed, for `durationMs` after the change. Put it on the row as
   * `data-flash={flash ?? undefined}`; the stylesheet animates `[data-flash]`.
   */
  readonly flash: RowFlash | null;
}

/** Options of {@link useRowFlash}. */
export interface UseRowFlashOptions<T> {
  /**
   * How long a change state lasts, and so how long a removed row stays visible. Keep it equal to
   * the CSS variable `--tidings-flash-duration`.
   * @defaultValue 1600
   */
  durationMs?: number | undefined;
  /**
   * Whether two versions of a row are the same. Refetched rows are new objects, so the default
   * compares structurally.
   * @defaultValue structural equality of plain data
   */
  isEqual?: ((a: T, b: T) => boolean) | undefined;
}

/** Default duration of a row flash, matching `--tidings-flash-duration` in the stylesheet. */
export const DEFAULT_FLASH_MS = 1600;

interface Mark<T> {
  readonly kind: RowFlash;
  readonly until: number;
  readonly row: T;
}

interface Tracked<T> {
  readonly rows: readonly T[] | null | undefined;
  readonly marks: ReadonlyMap<RowKey, Mark<T>>;
  readonly shown: readonly FlashedRow<T>[];
}

function sameElements<T>(a: readonly T[] | null | undefined, b: readonly T[] | null | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function showsDifferently<T>(a: Tracked<T>, b: Tracked<T>): boolean {
  if (a.shown.length !== b.shown.length) return true;
  for (let i = 0; i < a.shown.length; i++) {
    const x = a.shown[i] as FlashedRow<T>;
    const y = b.shown[i] as FlashedRow<T>;
    if (x.key !== y.key || x.flash !== y.flash) return true;
  }
  for (const [k, m] of b.marks) {
    const old = a.marks.get(k);
    if (!old || old.kind !== m.kind || old.until !== m.until) return true;
  }
  return false;
}

function display<T>(
  rows: readonly T[],
  getKey: (row: T) => RowKey,
  marks: ReadonlyMap<RowKey, Mark<T>>,
  previous: readonly FlashedRow<T>[],
): FlashedRow<T>[] {
  const out: FlashedRow<T>[] = rows.map((row) => {
    const key = getKey(row);
    const m = marks.get(key);
    return { key, row, flash: m && m.kind !== 'removed' ? m.kind : null };
  });
  // Removed rows keep their place: each goes after the nearest row that preceded it before.
  for (let i = 0; i < previous.length; i++) {
    const prev = previous[i] as FlashedRow<T>;
    const m = marks.get(prev.key);
    if (m?.kind !== 'removed') continue;
    let at = 0;
    for (let j = i - 1; j >= 0; j--) {
      const anchor = (previous[j] as FlashedRow<T>).key;
      const found = out.findIndex((r) => r.key === anchor);
      if (found !== -1) {
        at = found + 1;
        break;
      }
    }
    out.splice(at, 0, { key: prev.key, row: m.row, flash: 'removed' });
  }
  return out;
}

function track<T>(
  before: Tracked<T>,
  rows: readonly T[] | null | undefined,
  getKey: (row: T) => RowKey,
  isEqual: (a: T, b: T) => boolean,
  now: number,
  durationMs: number,
): Tracked<T> {
  // Loading again (a new query key) is not the removal of every row: start over.
  if (!rows) return { rows, marks: new Map(), shown: [] };
  const marks = new Map<RowKey, Mark<T>>();
  for (const [k, m] of before.marks) if (m.until > now) marks.set(k, m);
  const next = rows;
  // The first rows (or the first after loading) are the starting point, not changes.
  if (before.rows) {
    const old = new Map<RowKey, T>();
    for (const row of before.rows) old.set(getKey(row), row);
    const seen = new Set<RowKey>();
    for (const row of next) {
      const key = getKey(row);
      seen.add(key);
      const was = old.get(key);
      if (was === undefined) {
        if (marks.get(key)?.kind !== 'added') marks.set(key, { kind: 'added', until: now + durationMs, row });
        else marks.set(key, { ...(marks.get(key) as Mark<T>), row });
      } else if (!isEqual(was, row)) {
        marks.set(key, { kind: 'updated', until: now + durationMs, row });
      }
    }
    for (const [key, row] of old) {
      if (!seen.has(key)) marks.set(key, { kind: 'removed', until: now + durationMs, row });
    }
    for (const [key, m] of marks) if (m.kind === 'removed' && seen.has(key)) marks.delete(key);
  }
  return { rows, marks, shown: display(next, getKey, marks, before.shown) };
}

/**
 * Tracks how the rows of a live table change, for flash animations: each row comes back with
 * `flash` set to `added`, `updated` or `removed` for `durationMs` after the change, then `null`.
 * Removed rows stay in the list, at their place, until their fade ends, so nothing jumps while
 * it fades. The first rows (and the first after `undefined`, i.e. loading) do not flash.
 * Render the returned list instead of `rows`, with `data-flash` on each row and
 * `@tidings/react/styles.css` loaded (green, blue, red fade-out; a static tint under
 * `prefers-reduced-motion`).
 *
 * @example
 * ```tsx
 * const { data } = useQuery({ queryKey: ['leases'], queryFn });
 * const rows = useRowFlash(data, (lease) => lease.ip);
 * return rows.map(({ key, row, flash }) => (
 *   <tr key={key} data-flash={flash ?? undefined}><td>{row.ip}</td></tr>
 * ));
 * ```
 */
export function useRowFlash<T>(
  rows: readonly T[] | null | undefined,
  getKey: (row: T) => RowKey,
  options: UseRowFlashOptions<T> = {},
): readonly FlashedRow<T>[] {
  const { durationMs = DEFAULT_FLASH_MS, isEqual = sameValue } = options;
  const keyRef = useLatest(getKey);
  const [tracked, setTracked] = useState<Tracked<T>>(() => ({
    rows,
    marks: new Map(),
    shown: (rows ?? []).map((row) => ({ key: getKey(row), row, flash: null })),
  }));
  let current = tracked;
  // Derived from the previous rows during render (React's pattern for state from props), so
  // the flash shows in the same commit as the change.
  // Arrays rebuilt on every render (`data?.map(...)`) compare unequal by identity: store the new
  // state only when something shows differently, or this would render forever.
  if (!sameElements(rows, tracked.rows)) {
    const next = track(tracked, rows, getKey, isEqual, Date.now(), durationMs);
    if (showsDifferently(tracked, next)) {
      current = next;
      setTracked(next);
    } else {
      // Still hand out the newest row objects (a custom isEqual may ignore some fields).
      const latest = new Map<RowKey, T>();
      for (const row of rows ?? []) latest.set(getKey(row), row);
      current = {
        ...tracked,
        shown: tracked.shown.map((r) => (latest.has(r.key) ? { ...r, row: latest.get(r.key) as T } : r)),
      };
    }
  }

  useEffect(() => {
    if (tracked.marks.size === 0) return;
    let first = Number.POSITIVE_INFINITY;
    for (const m of tracked.marks.values()) first = Math.min(first, m.until);
    const handle = setTimeout(
      () => {
        setTracked((t) => {
          const now = Date.now();
          const marks = new Map([...t.marks].filter(([, m]) => m.until > now));
          const shown = display(t.rows ?? [], keyRef.current, marks, t.shown);
          return { rows: t.rows, marks, shown };
        });
      },
      Math.max(0, first - Date.now()),
    );
    return () => clearTimeout(handle);
  }, [tracked, keyRef]);

  return current.shown;
}
