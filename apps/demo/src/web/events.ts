/** The demo's event contract: what the backend publishes, checked in the browser by zod. */
import { defineEvents } from '@tidings/client';
import { z } from 'zod';

export const Lease = z.object({
  ip: z.string(),
  mac: z.string(),
  hostname: z.string(),
  pool: z.string(),
  state: z.string(),
  expires_at: z.string(),
  updated_at: z.string(),
});
export type Lease = z.infer<typeof Lease>;
const LeaseChange = z.object({
  lease: Lease.partial().extend({ ip: z.string() }),
  timestamp: z.string(),
  change_type: z.string(),
});

const WorkloadStatus = z.object({
  workload_id: z.string(),
  project_id: z.string(),
  cluster_id: z.string(),
  name: z.string(),
  status: z.string(),
  previous: z.string(),
});
const Build = z.object({
  build_id: z.number().optional(),
  id: z.number().optional(),
  workload_id: z.string(),
  project_id: z.string(),
  name: z.string(),
  commit: z.string(),
  error: z.string().optional(),
});
export const Onu = z.object({
  id: z.string(),
  olt: z.string(),
  subscriber: z.string(),
  status: z.string(),
  rx_dbm: z.number(),
  updated_at: z.string(),
});
export type Onu = z.infer<typeof Onu>;
export const RadiusSession = z.object({
  id: z.string(),
  username: z.string(),
  nas: z.string(),
  framed_ip: z.string(),
  started_at: z.string(),
  updated_at: z.string(),
  bytes_in: z.number(),
  bytes_out: z.number(),
});
export type RadiusSession = z.infer<typeof RadiusSession>;
const Alert = z.object({ severity: z.string(), message: z.string(), source: z.string().optional() });
const JobState = z.object({
  jobId: z.string(),
  status: z.enum(['running', 'paused', 'cancelled', 'completed']),
  processed: z.number(),
  total: z.number(),
  pct: z.number(),
  by: z.string().optional(),
});
export type JobState = z.infer<typeof JobState>;
const CoachingChange = z.object({
  id: z.number(),
  coaching_session_id: z.string(),
  kind: z.string(),
  by: z.string(),
});

export const events = defineEvents({
  'lease-added': LeaseChange,
  'lease-updated': LeaseChange,
  'lease-removed': LeaseChange,
  workload_status_update: WorkloadStatus,
  project_status_update: z.object({ project_id: z.string(), status: z.string(), previous: z.string() }),
  build_started: Build,
  build_complete: Build,
  build_failed: Build,
  'onu.online': Onu,
  'onu.offline': Onu,
  'onu.signal_degraded': Onu,
  'alert.raised': Alert,
  'alert.cleared': Alert,
  'session.started': RadiusSession,
  'session.updated': RadiusSession,
  'session.stopped': RadiusSession,
  'job.progress': JobState,
  'job.completed': JobState,
  'job.cancelled': JobState,
  action_created: CoachingChange,
  action_updated: CoachingChange,
  action_deleted: CoachingChange,
  agreement_created: CoachingChange,
  agreement_updated: CoachingChange,
  agreement_deleted: CoachingChange,
  goal_created: CoachingChange,
  goal_updated: CoachingChange,
  goal_deleted: CoachingChange,
});

/** What the pages call each event (feeds, activity lists): never the wire name. */
export const EVENT_LABELS: Record<string, string> = {
  'lease-added': 'Lease added',
  'lease-updated': 'Lease changed',
  'lease-removed': 'Lease removed',
  workload_status_update: 'Workload status',
  project_status_update: 'Project status',
  build_started: 'Build started',
  build_complete: 'Build succeeded',
  build_failed: 'Build failed',
  'onu.online': 'ONU online',
  'onu.offline': 'ONU offline',
  'onu.signal_degraded': 'Weak signal',
  'alert.raised': 'Alert',
  'alert.cleared': 'Resolved',
  'session.started': 'Session started',
  'session.updated': 'Session update',
  'session.stopped': 'Session stopped',
  'job.progress': 'Job progress',
  'job.completed': 'Job completed',
  'job.cancelled': 'Job cancelled',
};

/** The label of an event type, e.g. `build_complete` → "Build succeeded". */
export function eventLabel(type: string): string {
  return EVENT_LABELS[type] ?? type.replaceAll(/[_.-]+/g, ' ');
}

declare module '@tidings/react' {
  interface Register {
    events: typeof events;
  }
}

export { APP_TOPICS } from '../topics.js';
