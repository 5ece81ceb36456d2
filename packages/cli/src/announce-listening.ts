import type { Logger } from 'pino';
import type { LogFormat } from './log-format.js';

/**
 * Says once that the hub serves. Pretty logs get an ordinary info line. JSON logs get one line
 * that is both a pino entry (level 30, time, msg) and the machine-readable announcement scripts
 * and tests wait for, `{"tidings":"listening","url":…}` first: printed whatever `--log-level`,
 * since a hub started on port 0 has no other way to tell its address.
 */
export function announceListening(
  logger: Logger,
  format: LogFormat,
  fields: { url: string } & Record<string, unknown>,
  msg: string,
): void {
  if (format === 'pretty') {
    // The message already shows the URL.
    const { url: _url, ...rest } = fields;
    logger.info(rest, msg);
    return;
  }
  const entry = { tidings: 'listening', url: fields.url, level: 30, time: Date.now() };
  process.stdout.write(`${JSON.stringify({ ...entry, ...logger.bindings(), ...fields, msg })}\n`);
}
