import { tidingsNext } from '@tidings/server/next';
import { getHub } from '../../../lib/hub';

// The hub keeps streams open and state in memory: Node.js runtime, never cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const { GET, POST, OPTIONS } = tidingsNext(getHub);
