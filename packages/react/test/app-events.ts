import { defineEvents } from '@tidings/client';
import { z } from 'zod';

/** The contract the React tests use, registered so the hooks are typed by it. */
export const events = defineEvents({
  'lease-added': z.object({ ip: z.string(), mac: z.string() }),
  'lease-updated': z.object({ ip: z.string(), mac: z.string() }),
  'lease-removed': z.object({ ip: z.string() }),
  'alert.raised': z.object({ severity: z.string(), message: z.string() }),
  build_failed: z.object({ name: z.string(), reason: z.string() }),
  build_complete: z.object({ name: z.string() }),
  workload_status_update: z.object({ name: z.string() }),
});

declare module '@tidings/react' {
  interface Register {
    events: typeof events;
  }
}
