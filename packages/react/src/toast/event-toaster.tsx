import { type ReactNode, useRef } from 'react';
import { type ExternalToast, Toaster, type ToasterProps, toast } from 'sonner';
import { typeMatcher } from '../match-type.js';
import type { AppEvent, AppEventOf, CheckedKey, EventCallback, TypeKey } from '../register.js';
import { useEvent } from '../use-event.js';

/** The look of a toast; sonner shows a matching icon for each. */
export type ToastVariant = 'success' | 'info' | 'warning' | 'error';

/** One toast, as a rule of {@link EventToaster} describes it. */
export interface EventToast {
  /** @defaultValue 'info' */
  variant?: ToastVariant | undefined;
  title: ReactNode;
  description?: ReactNode;
  /** Milliseconds before it closes by itself; `Infinity` keeps it. @defaultValue by variant, see {@link DEFAULT_TOAST_DURATIONS} */
  duration?: number | undefined;
  /** Replaces sonner's icon for the variant. */
  icon?: ReactNode;
  /** A button on the toast. */
  action?: { label: ReactNode; onClick: () => void } | undefined;
  /**
   * Toasts with the same key within `dedupeMs` merge into one that shows a count, instead of
   * stacking. `null` never merges.
   * @defaultValue the event type, title and description (when they are strings)
   */
  dedupeKey?: string | null | undefined;
}

/** A fixed toast for an event type, or a function of the event returning one (or nothing to skip). */
export type ToastRule<E = AppEvent> = EventToast | EventCallback<E, EventToast | null | undefined | false>;

/** Event types or globs to toasts; payloads are typed for declared types. */
export type ToastMap = { readonly [P in TypeKey]?: ToastRule<AppEventOf<P>> };

/**
 * A {@link ToastMap} with its keys `M` checked: with a registered contract, a key that is neither
 * a declared type nor a glob matching one is a compile error at that key.
 */
export type CheckedToastMap<M> = {
  readonly [P in keyof M]: CheckedKey<P, ToastRule<AppEventOf<P & string>>>;
};

/** How long each variant stays: errors longer, so they are read. */
export const DEFAULT_TOAST_DURATIONS: Readonly<Record<ToastVariant, number>> = {
  success: 4000,
  info: 4000,
  warning: 6000,
  error: 8000,
};

/** Props of {@link EventToaster}; `M` is the map's own type, inferred. */
export interface EventToasterProps<M = ToastMap> {
  /**
   * Event types or globs (`'build_*'`, `'alert.*'`) to toasts. The first matching entry wins,
   * exact names before globs. Events matching nothing make no toast. With a registered
   * contract, every key must be a declared type or a glob matching one.
   */
  map: CheckedToastMap<M>;
  /**
   * The window in which toasts with the same `dedupeKey` merge (a burst of identical alerts shows
   * one toast with "×12"), measured from the latest one.
   * @defaultValue 4000
   */
  dedupeMs?: number | undefined;
  /** Per-variant durations replacing {@link DEFAULT_TOAST_DURATIONS}. */
  durations?: Partial<Record<ToastVariant, number>> | undefined;
  /**
   * Also render sonner's `<Toaster>` (with these props when an object). Leave it off when the app
   * already renders one.
   * @defaultValue false
   */
  toaster?: boolean | ToasterProps | undefined;
  /** @defaultValue true */
  enabled?: boolean | undefined;
}

interface Merged {
  id: string;
  count: number;
  until: number;
}

function findRule(map: ToastMap, type: string): ToastRule | undefined {
  const rules = map as Readonly<Record<string, ToastRule | undefined>>;
  if (Object.hasOwn(rules, type)) return rules[type];
  for (const [pattern, rule] of Object.entries(rules)) {
    if (rule && pattern.includes('*') && typeMatcher(pattern)(type)) return rule;
  }
  return undefined;
}

let nextId = 0;

/**
 * Shows events as `sonner` toasts: success, info, warning and error variants with sonner's icons,
 * closing by themselves (errors after 8 s, others sooner), and bursts merged: the same toast
 * repeated within `dedupeMs` becomes one toast with a count. Render it once, inside the
 * `TidingsProvider`, next to sonner's `<Toaster />` (or pass `toaster`).
 *
 * @example
 * ```tsx
 * <EventToaster
 *   toaster={{ position: 'bottom-right', richColors: true }}
 *   map={{
 *     build_complete: (e) => ({ variant: 'success', title: `Build ${e.data.name} finished` }),
 *     build_failed: (e) => ({ variant: 'error', title: `Build ${e.data.name} failed`, description: e.data.reason }),
 *     'alert.raised': (e) => ({ variant: severityVariant(e.data.severity), title: e.data.message }),
 *   }}
 * />
 * ```
 */
export function EventToaster<M>({
  map,
  dedupeMs = 4000,
  durations,
  toaster = false,
  enabled = true,
}: EventToasterProps<M>) {
  const merged = useRef(new Map<string, Merged>());
  useEvent(
    '*',
    (event) => {
      const rule = findRule(map as ToastMap, event.type);
      if (!rule) return;
      const spec = typeof rule === 'function' ? rule(event) : rule;
      if (!spec) return;
      const variant = spec.variant ?? 'info';
      const now = Date.now();
      for (const [k, m] of merged.current) if (m.until <= now) merged.current.delete(k);
      const key =
        spec.dedupeKey === undefined
          ? [event.type, text(spec.title), text(spec.description)].join('\u0000')
          : spec.dedupeKey;
      let entry = key === null ? undefined : merged.current.get(key);
      if (entry) entry.count++;
      else entry = { id: `tidings-toast-${++nextId}`, count: 1, until: 0 };
      entry.until = now + dedupeMs;
      if (key !== null) merged.current.set(key, entry);
      const data: ExternalToast = {
        id: entry.id,
        description: spec.description,
        duration: spec.duration ?? durations?.[variant] ?? DEFAULT_TOAST_DURATIONS[variant],
        ...(spec.icon !== undefined && { icon: spec.icon }),
        ...(spec.action && { action: spec.action }),
      };
      const title =
        entry.count > 1 ? (
          <span className="tidings-toast__title">
            {spec.title}
            <span className="tidings-toast__count" role="img" aria-label={`${entry.count} times`}>
              ×{entry.count}
            </span>
          </span>
        ) : (
          spec.title
        );
      toast[variant](title, data);
    },
    { enabled },
  );
  if (!toaster) return null;
  return <Toaster {...(toaster === true ? {} : toaster)} />;
}

function text(node: ReactNode): string {
  return typeof node === 'string' || typeof node === 'number' ? String(node) : '';
}
