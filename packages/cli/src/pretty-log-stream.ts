import { clock, painter } from './pretty.js';

type Paint = ReturnType<typeof painter>;

const LEVELS: Record<number, { name: string; color: Parameters<Paint>[0] }> = {
  10: { name: 'TRACE', color: 'gray' },
  20: { name: 'DEBUG', color: 'blue' },
  30: { name: 'INFO', color: 'green' },
  40: { name: 'WARN', color: 'yellow' },
  50: { name: 'ERROR', color: 'red' },
  60: { name: 'FATAL', color: 'magenta' },
};

/** Fields every pino line has, shown in the line's head rather than as `key=value`. */
const HEAD = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** A value as `key=value` shows it: bare when that is unambiguous, JSON otherwise. */
function show(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One pino JSON line as a person reads it: `12:00:01.234 INFO  message key=value …`, with an
 * error's stack on the lines after it. A line that is not a pino object is returned as it was.
 */
export function formatLogLine(line: string, paint: Paint): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  if (typeof entry !== 'object' || entry === null) return `${line.trimEnd()}\n`;
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level ?? 'LOG'), color: 'white' };
  const time = typeof entry.time === 'number' ? clock(new Date(entry.time).toISOString()) : '';
  let out = `${paint('dim', time)} ${paint(level.color, level.name.padEnd(5))} ${String(entry.msg ?? '')}`;
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD.has(key) || value === undefined) continue;
    const stack = (value as { stack?: unknown } | null)?.stack;
    if (typeof stack === 'string') {
      // An error (pino's serializer): its message inline, its stack below, where it is readable.
      out += ` ${paint('dim', `${key}=`)}${show((value as { message?: unknown }).message ?? '')}`;
      stacks.push(stack);
    } else out += ` ${paint('dim', `${key}=`)}${show(value)}`;
  }
  for (const stack of stacks) out += `\n${stack.replace(/^/gm, '    ')}`;
  return `${out}\n`;
}

/**
 * A pino destination that writes each entry to `stream` as {@link formatLogLine} shows it, in
 * this thread: the entries are already JSON, so no worker thread or extra package is needed.
 * Colours only when `stream` is a terminal and NO_COLOR is unset.
 */
export function prettyLogStream(stream: NodeJS.WriteStream): { write(line: string): void } {
  const paint = painter(stream);
  return { write: (line) => void stream.write(formatLogLine(line, paint)) };
}
