import { useInsertionEffect, useRef } from 'react';

/**
 * A ref that always holds the latest `value`, updated before layout effects run: lets
 * subscriptions call the current handler without resubscribing on every render.
 */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}
