import { getHub } from '../../lib/hub';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** How many streams are open, for a health check (and the example's test). */
export function GET(): Response {
  return Response.json({ connections: getHub().connections().length });
}
