/**
 * Progress on stderr: a redrawn bar on a terminal, one line per step otherwise (logs stay readable).
 */
export class Progress {
  private lastLine = '';
  private drawn = false;
  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  /** Shows `label` with a bar at `fraction` (0..1) and a short status. */
  bar(label: string, fraction: number, status = ''): void {
    const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    if (!this.out.isTTY) {
      if (label !== this.lastLine) this.out.write(`  ${label}…\n`);
      this.lastLine = label;
      return;
    }
    const width = 24;
    const full = Math.round(f * width);
    const line = `  ${label.padEnd(38).slice(0, 38)} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}% ${status}`;
    this.out.write(`\r${line.slice(0, (this.out.columns || 120) - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Ends the current bar line and prints `text` on its own line. */
  log(text: string): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
    this.lastLine = '';
    this.out.write(`${text}\n`);
  }
}
