import { execFileSync } from 'node:child_process';
import { TIDINGS_BIN } from './servers.js';

/** True when the built CLI's `serve` knows `--workers`. */
export function cliHasWorkers(): boolean {
  try {
    return execFileSync(process.execPath, [TIDINGS_BIN, 'serve', '--help'], { encoding: 'utf8' }).includes(
      '--workers',
    );
  } catch {
    return false;
  }
}
