import type { HubStats } from '@tidings/server';
import { createParser } from 'eventsource-parser';
import { parseFlags } from '../args.js';
import { endpoint, HubRequestError, hubErrorMessage, unreachable } from '../hub-http.js';
import { parseDuration, parseHubUrl } from '../parse-values.js';
import { painter } from '../pretty.js';
import { secretFromFlags } from '../secret-flag.js';
import { EXIT, UsageError } from '../usage-error.js';

export const TOP_USAGE = `Usage: tidings top [options]

Shows a hub's live figures in the terminal: connections, events per second, event types, top
topics, slow consumers and the connections with the fullest queues. Follows the hub's $sys/stats
topic (pushed every second), so the hub must run with --admin-token.

Options:
  --url <url>              The hub's address (or $TIDINGS_URL)          [http://127.0.0.1:8080]
  --admin-token-file <f>   File holding the hub's admin token (or $TIDINGS_ADMIN_TOKEN)
  --admin-token <t>        The token itself: works, but every user of the machine sees it
                           in the process list (warning)
  --interval <dur>         Shortest time between redraws                 [1s]
  --once                   Print the figures once and exit (for scripts)
  -h, --help               Show this help
`;

type Paint = ReturnType<typeof painter>;

const BLOCKS = '▁▂▃▄▅▆▇█';

function num(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  if (n > 0 && n < 10 && n % 1) return n.toFixed(1);
  return String(Math.round(n));
}

function bytes(n: number): string {
  if (n >= 1048576) return `${(n / 1048576).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function fit(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length > w ? `${s.slice(0, Math.max(0, w - 1))}…` : s.padEnd(w);
}

/** A one-line chart of the newest `width` values. */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.slice(-width);
  const max = Math.max(1, ...v);
  return v.map((x) => (x <= 0 ? ' ' : BLOCKS[Math.min(7, Math.floor((x / max) * 7.999))])).join('');
}

function ranking(
  title: string,
  rows: readonly { name: string; count: number }[],
  total: number,
  w: number,
  paint: Paint,
) {
  const out = [paint('bold', fit(title, w))];
  if (rows.length === 0) out.push(paint('dim', fit('  nothing yet', w)));
  const max = rows[0]?.count ?? 1;
  for (const r of rows.slice(0, 6)) {
    const pct = total ? ` ${Math.round((r.count / total) * 100)}%`.padStart(5) : '';
    const right = `${num(r.count).padStart(6)}${pct}`;
    const barW = 12;
    const bar = '█'.repeat(Math.max(1, Math.round((r.count / max) * barW))).padEnd(barW);
    out.push(`  ${fit(r.name, w - right.length - barW - 5)} ${paint('cyan', bar)} ${right}`);
  }
  return out;
}

/**
 * Renders one screen of `tidings top` for a terminal `width` columns wide.
 * @param now - the current time in epoch ms, for connection ages.
 * @param status - a footer line: "live", or what went wrong with the live stream.
 */
export function renderTop(
  s: HubStats,
  width: number,
  paint: Paint,
  now = Date.now(),
  status?: string,
): string {
  const w = Math.max(60, width);
  const a = s.activity;
  const c = s.connections;
  const lines: string[] = [];
  const where = s.workers?.length
    ? `${s.workers.length} workers (${s.workers.join(', ')})`
    : `node ${s.node}`;
  const head = `Tidings top · ${where} · ${s.store} store · ${s.broker} broker · up ${age(s.uptimeS * 1000)}`;
  const time = s.time.slice(11, 19);
  lines.push(`${paint('bold', fit(head, w - time.length - 1))} ${paint('dim', time)}`);
  lines.push('');
  const kv = (k: string, v: string) => `${paint('dim', k)} ${paint('bold', v)}`;
  lines.push(
    [
      kv('Connections', `${num(c.open - c.sys)}${c.sys ? ` (+${c.sys} admin)` : ''}`),
      kv('Subscriptions', num(c.subscriptions)),
      kv('Buffered', bytes(c.bufferedBytes)),
      kv('Heap', bytes(s.process.heapUsedBytes)),
      // Hubs before the memory budget do not report it.
      ...(s.process.memoryBudgetBytes
        ? [kv('Memory', `${bytes(s.process.memoryUsedBytes)} of ${bytes(s.process.memoryBudgetBytes)}`)]
        : []),
      kv('Loop p99', `${s.process.eventLoopLagP99Ms.toFixed(1)} ms`),
    ].join('   '),
  );
  lines.push(
    [
      kv('Published', `${num(a.publishedPerSecond)}/s`) + paint('dim', ` (${num(a.totals.published)} total)`),
      kv('Delivered', `${num(a.deliveredPerSecond)}/s`) + paint('dim', ` (${num(a.totals.delivered)} total)`),
      kv('Replayed', num(a.totals.replayed)),
      kv('Resets', num(a.totals.resets)),
    ].join('   '),
  );
  const slow = a.totals.slowConsumers;
  lines.push(
    [
      `${paint('dim', 'Slow consumers')} ${paint(slow ? 'red' : 'bold', num(slow))}`,
      kv('Refused', num(a.totals.rejected)),
      kv('Errors', num(a.totals.errors)),
    ].join('   '),
  );
  lines.push('');
  const span = Math.min(a.series.published.length - 1, w - 34);
  const series = a.series.published.slice(0, -1); // the last second is still counting
  const peak = Math.max(0, ...series.slice(-span));
  lines.push(
    `${paint('bold', 'Events/s')}  ${paint('green', sparkline(series, span))}  ${paint('dim', `peak ${num(peak)}/s over ${span}s`)}`,
  );
  lines.push('');
  const half = Math.floor((w - 3) / 2);
  const left = ranking('Event types', a.types, a.totals.published, half, paint);
  const right = ranking('Top topics', a.topics, a.totals.published, half, paint);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const l = left[i] ?? ''.padEnd(half);
    lines.push(`${l}${' '.repeat(Math.max(3, half + 3 - visible(l)))}${right[i] ?? ''}`);
  }
  lines.push('');
  lines.push(
    paint(
      'bold',
      `Connections${c.truncated ? `, ${c.list.length} of ${c.open} (fullest queues first)` : ''}`,
    ),
  );
  const cols = `  ${'ID'.padEnd(14)} ${'USER'.padEnd(12)} ${'TOPICS'.padEnd(Math.max(10, w - 72))} ${'AGE'.padStart(7)} ${'EVENTS'.padStart(7)} ${'SENT'.padStart(10)} ${'BUFFERED'.padStart(10)}`;
  lines.push(paint('dim', cols));
  if (c.list.length === 0) lines.push(paint('dim', '  no open connections'));
  for (const r of c.list.slice(0, 10)) {
    lines.push(
      `  ${fit(r.id, 14)} ${fit(r.user ?? (r.sys ? '(admin)' : '-'), 12)} ${fit(r.topics.join(','), Math.max(10, w - 72))} ${age(now - Date.parse(r.openedAt)).padStart(7)} ${num(r.eventsSent).padStart(7)} ${bytes(r.bytesSent).padStart(10)} ${bytes(r.bufferedBytes).padStart(10)}`,
    );
  }
  if (a.slowConsumers.length) {
    lines.push('');
    lines.push(paint('bold', 'Slow consumers (dropped for not reading)'));
    for (const sc of a.slowConsumers.slice(0, 5)) {
      lines.push(
        `  ${sc.time.slice(11, 19)}  ${fit(sc.id, 14)} ${fit(sc.user ?? '-', 12)} ${bytes(sc.bufferedBytes)}`,
      );
    }
  }
  if (status) {
    lines.push('');
    lines.push(
      paint(status === 'live' ? 'green' : 'yellow', `● ${status}`) + paint('dim', ' · Ctrl-C to quit'),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Length without ANSI escapes. */
function visible(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

async function fetchStats(url: URL, token: string): Promise<HubStats> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (e) {
    throw unreachable(url, e);
  }
  if (!res.ok) {
    const msg = await hubErrorMessage(res);
    throw new HubRequestError(
      res.status === 404 && !msg.includes('--admin-token')
        ? `${msg} Start the hub with --admin-token to turn the admin API on.`
        : msg,
      EXIT.failed,
    );
  }
  return (await res.json()) as HubStats;
}

/** `tidings top`: refreshes until interrupted, or prints once with `--once`. */
export async function top(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    url: { type: 'string' },
    'admin-token': { type: 'string' },
    'admin-token-file': { type: 'string' },
    interval: { type: 'string' },
    once: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(TOP_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`tidings top takes no arguments, got "${positionals[0]}".`);
  const interval = values.interval === undefined ? 1000 : parseDuration('interval', values.interval);
  const secret = secretFromFlags({
    flag: 'admin-token',
    value: values['admin-token'],
    file: values['admin-token-file'],
    envName: 'TIDINGS_ADMIN_TOKEN',
    env: process.env,
  });
  if (secret.warning) process.stderr.write(`tidings top: warning: ${secret.warning}\n`);
  const token = secret.value;
  if (!token) {
    throw new UsageError(
      "Pass the hub's admin token with --admin-token-file <file> (or set TIDINGS_ADMIN_TOKEN).",
    );
  }
  const base = parseHubUrl(values.url ?? process.env.TIDINGS_URL ?? 'http://127.0.0.1:8080');
  const url = endpoint(base, '/admin/stats');
  const out = process.stdout;
  const paint = painter(out);

  if (values.once) {
    out.write(renderTop(await fetchStats(url, token), out.columns ?? 100, paint));
    return EXIT.ok;
  }

  // Live: the figures are pushed on the hub's $sys/stats topic; this command is a Tidings client
  // like the admin page. The first screen comes from /admin/stats, which also checks the token.
  const tty = out.isTTY === true;
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  let latest = await fetchStats(url, token);
  let status = 'connecting to $sys/stats';
  let lastDraw = 0;
  let redraw: ReturnType<typeof setTimeout> | undefined;
  const draw = () => {
    redraw = undefined;
    lastDraw = Date.now();
    const frame = renderTop(latest, out.columns ?? 100, paint, Date.now(), status);
    out.write(tty ? `\x1b[H\x1b[2J${frame}` : `${frame}\n`);
  };
  // Pushes may come faster than --interval: draw at most once per interval, always the newest.
  const show = () => {
    if (redraw) return;
    redraw = setTimeout(draw, Math.max(0, lastDraw + interval - Date.now()));
  };
  // The alternate screen keeps the user's scrollback intact; the cursor is hidden while drawing.
  if (tty) out.write('\x1b[?1049h\x1b[?25l');
  const sysUrl = endpoint(base, '/events');
  sysUrl.searchParams.set('topic', '$sys/stats');
  let attempt = 0;
  try {
    draw();
    while (!stop.signal.aborted) {
      let res: Response;
      try {
        res = await fetch(sysUrl, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
          signal: stop.signal,
        });
      } catch (e) {
        if (stop.signal.aborted) break;
        status = `cannot reach ${base.origin} (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}); retrying`;
        show();
        await sleep(Math.min(30_000, 1000 * 2 ** Math.min(attempt++, 5)), stop.signal);
        continue;
      }
      if (res.status >= 400 && res.status < 500)
        throw new HubRequestError(await hubErrorMessage(res), EXIT.failed);
      if (!res.ok || !res.body) {
        status = `${await hubErrorMessage(res)}; retrying`;
        show();
        await sleep(Math.min(30_000, 1000 * 2 ** Math.min(attempt++, 5)), stop.signal);
        continue;
      }
      attempt = 0;
      status = 'live';
      show();
      const parser = createParser({
        onEvent: (msg) => {
          if (msg.event !== 'stats') return;
          latest = (JSON.parse(msg.data) as { data: HubStats }).data;
          show();
        },
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body)
          parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      } catch {
        // the connection dropped; reconnect below
      }
      if (stop.signal.aborted) break;
      status = 'the hub closed the stream; reconnecting';
      show();
      await sleep(1000, stop.signal);
    }
  } finally {
    if (redraw) clearTimeout(redraw);
    if (tty) out.write('\x1b[?25h\x1b[?1049l');
  }
  return EXIT.ok;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
