/**
 * Type tests of the client's listener and buffer APIs, with and without definitions. Checked by
 * `npm run typecheck` (tsconfig.test.json), which `npm test` runs: each `@ts-expect-error` line
 * fails the build if the misspelt type ever compiles again. Nothing here runs.
 */
import { createClient, defineEvents, type EventMeta, type UndeclaredEvent } from '@tidings/client';
import { expectTypeOf } from 'vitest';
import { z } from 'zod';

const events = defineEvents({
  'item-added': z.object({ id: z.string() }),
  'item-removed': z.object({ id: z.string() }),
});

export function typedClient() {
  const client = createClient({ url: '/events', topics: ['items'], events });
  client.on('item-added', (item, meta) => {
    expectTypeOf(item).toEqualTypeOf<{ id: string }>();
    expectTypeOf(meta).toEqualTypeOf<EventMeta<'item-added'>>();
  });
  client.on('*', (e) => {
    if (e.declared && e.type === 'item-removed') expectTypeOf(e.data).toEqualTypeOf<{ id: string }>();
  });
  // @ts-expect-error misspelt type
  client.on('item-addded', () => {});
  // @ts-expect-error an undeclared type: listen to '*' and narrow on `declared` for those
  client.on('other', () => {});
  const dynamic: string = 'item-added';
  // @ts-expect-error a plain string cannot be checked, so it is refused with definitions
  client.on(dynamic, () => {});
  // @ts-expect-error the listener gets the declared payload
  client.on('item-added', (item: { name: string }) => item);

  expectTypeOf(client.events.ofType('item-removed')[0]?.data).toEqualTypeOf<{ id: string } | undefined>();
  // @ts-expect-error misspelt type
  client.events.ofType('item-remvoed');
  client.events.find({ type: 'item-added', where: { id: '1' } });
  // @ts-expect-error misspelt type in a query
  client.events.find({ type: 'item-addd' });
  // @ts-expect-error misspelt type in a query
  client.events.last({ type: 'item-addd' });
}

export function untypedClient() {
  const client = createClient({ url: '/events', topics: ['items'] });
  client.on('anything', (data, meta) => {
    expectTypeOf(data).toBeUnknown();
    expectTypeOf(meta.type).toEqualTypeOf<'anything'>();
  });
  const dynamic: string = 'x';
  client.on(dynamic, (data) => expectTypeOf(data).toBeUnknown());
  expectTypeOf(client.events.ofType('anything')).toEqualTypeOf<UndeclaredEvent[]>();
  client.events.find({ type: dynamic });
}
