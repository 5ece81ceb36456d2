import { styleText } from 'node:util';

type Color = Parameters<typeof styleText>[0];

/** Colours only when the stream is a terminal and NO_COLOR is not set. */
export function painter(stream: NodeJS.WriteStream): (color: Color, text: string) => string {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  return on ? (c, t) => styleText(c, t) : (_c, t) => t;
}

const TYPE_COLORS: Color[] = ['cyan', 'magenta', 'yellow', 'green', 'blue'];

/** A stable colour per event type, so a tail is easy to scan. */
export function colorFor(type: string): Color {
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) >>> 0;
  return TYPE_COLORS[h % TYPE_COLORS.length] as Color;
}

/** `12:00:01.234` in local time. */
export function clock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Compact JSON, cut to `max` characters. */
export function preview(data: unknown, max: number): string {
  const s = JSON.stringify(data) ?? 'undefined';
  return s.length > max ? `${s.slice(0, Math.max(0, max - 1))}…` : s;
}
