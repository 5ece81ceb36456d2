/**
 * Type tests of the hooks with a registered contract (app-events.ts registers one for every React
 * test). Checked by `npm run typecheck` (tsconfig.test.json), which `npm test` runs: each
 * `@ts-expect-error` line fails the build if the misspelt type ever compiles again. Nothing here
 * runs; the components are never rendered.
 */
import type { EventMeta } from '@tidings/client';
import {
  type AppEvent,
  type EventPattern,
  type TypesMatching,
  useEvent,
  useEvents,
  useLastEvent,
} from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { useSWRInvalidation } from '@tidings/react/swr';
import { EventToaster } from '@tidings/react/toast';
import { expectTypeOf } from 'vitest';
import './app-events.js';

export function UseEventChecks() {
  useEvent('lease-added', (lease, meta) => {
    expectTypeOf(lease).toEqualTypeOf<{ ip: string; mac: string }>();
    expectTypeOf(meta).toEqualTypeOf<EventMeta<'lease-added'>>();
  });
  useEvent('lease-removed', (l) => l.ip, { filter: (l) => l.ip !== '' });
  useEvent('lease-*', (data, meta) => {
    expectTypeOf(data).toBeUnknown();
    expectTypeOf(meta.type).toBeString();
  });
  useEvent('*.raised', () => {});
  useEvent('*', (e) => expectTypeOf(e).toEqualTypeOf<AppEvent>());
  // @ts-expect-error misspelt type
  useEvent('lease-addded', () => {});
  // @ts-expect-error a glob that matches no declared type
  useEvent('lese-*', () => {});
  // @ts-expect-error an undeclared type: listen to '*' and narrow for events outside the contract
  useEvent('item-added', () => {});
  const dynamic: string = 'lease-added';
  // @ts-expect-error a plain string cannot be checked, so it is refused with a contract
  useEvent(dynamic, () => {});
  // @ts-expect-error the filter takes the typed payload
  useEvent('lease-removed', () => {}, { filter: (l: { mac: string }) => l.mac !== '' });
  return null;
}

export function UseEventsChecks() {
  const added = useEvents({ types: ['lease-added'] });
  expectTypeOf(added).toEqualTypeOf<Extract<AppEvent, { type: 'lease-added' }>[]>();
  useEvents({ types: ['lease-*', 'alert.raised'], limit: 3 });
  useEvents({ limit: 3 });
  const feed = ['lease-removed', 'build_*'] as const;
  useEvents({ types: feed });
  // @ts-expect-error misspelt type in the list
  useEvents({ types: ['lease-added', 'alert.rasied'] });
  const widened = ['lease-added'];
  // @ts-expect-error a string[] could hold anything; declare lists `as const`
  useEvents({ types: widened });
  expectTypeOf(useLastEvent('lease-removed')).toEqualTypeOf<
    Extract<AppEvent, { type: 'lease-removed' }> | undefined
  >();
  // @ts-expect-error misspelt type
  useLastEvent('lease-remvoed');
  return null;
}

export function InvalidationChecks() {
  useQueryInvalidation({
    'lease-*': [['leases']],
    'alert.raised': (e) => [['alerts', e.data.severity]],
    '*': [['everything']],
  });
  useQueryInvalidation((e) => [[e.type]]);
  useQueryInvalidation({
    // @ts-expect-error misspelt key
    'lease-addd': [['leases']],
  });
  useQueryInvalidation({
    // @ts-expect-error a glob matching no declared type
    'leases-*': [['leases']],
  });
  const rules = { 'item-added': [['items']] } as const;
  // @ts-expect-error checked through a variable too, not only in an object literal
  useQueryInvalidation(rules);
  useQueryInvalidation(
    {},
    {
      updates: {
        'lease-added': { key: ['leases'], update: (rows: { ip: string }[], e) => [...rows, e.data] },
        // @ts-expect-error misspelt key in updates
        'lease-addded': { key: ['leases'], update: (rows: unknown[]) => rows },
      },
    },
  );
  useSWRInvalidation({ 'lease-*': ['/api/leases'], build_failed: (e) => [`/builds/${e.data.name}`] });
  useSWRInvalidation({
    // @ts-expect-error misspelt key
    build_faild: ['/builds'],
  });
  return null;
}

export function ToastChecks() {
  return (
    <>
      <EventToaster
        map={{
          build_failed: (e) => ({ variant: 'error', title: e.data.reason }),
          'alert.*': { title: 'Alert' },
        }}
      />
      <EventToaster
        map={{
          // @ts-expect-error misspelt key
          build_faild: { title: 'Build failed' },
        }}
      />
    </>
  );
}

// The building blocks, directly.
expectTypeOf<TypesMatching<'lease-*'>>().toEqualTypeOf<'lease-added' | 'lease-updated' | 'lease-removed'>();
expectTypeOf<TypesMatching<'*ed'>>().toEqualTypeOf<
  'lease-added' | 'lease-updated' | 'lease-removed' | 'alert.raised' | 'build_failed'
>();
expectTypeOf<TypesMatching<'lease-*-*'>>().toBeNever();
expectTypeOf<EventPattern<'build_*'>>().toEqualTypeOf<'build_*'>();
expectTypeOf<EventPattern<'nope'>>().not.toEqualTypeOf<'nope'>();
