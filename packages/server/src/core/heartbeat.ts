import { encodeSseFrame } from '@tidings/protocol';

const encoder = new TextEncoder();

/**
 * A keep-alive timer: every `intervalMs` it calls `beat`. Unref'd, so an idle hub does not keep
 * the process alive; one per transport, whatever its number of connections.
 */
export class Heartbeat {
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(intervalMs: number, beat: () => void) {
    this.timer = setInterval(beat, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The `heartbeat` frame of event streams, stamped now (encoded once per beat for every stream). */
export function heartbeatFrame(): Uint8Array {
  return encoder.encode(
    encodeSseFrame({ event: 'heartbeat', data: `{"time":"${new Date().toISOString()}"}` }),
  );
}
