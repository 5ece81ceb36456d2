/** One option in a command's help: its flags, what it does, and its default. */
export interface OptionRow {
  /** e.g. `--port <n>`. */
  readonly flags: string;
  /** One paragraph; wrapped to the description column. */
  readonly text: string;
  /** Shown in brackets in the defaults column, e.g. `8080`. */
  readonly default?: string;
}

/** A titled group of options, with sentences printed after them. */
export interface HelpSection {
  /** e.g. `Options:`; printed after a blank line. */
  readonly heading: string;
  readonly rows: readonly OptionRow[];
  /** Whole sentences after the rows, indented like the flags. */
  readonly notes?: readonly string[];
}

/** Where descriptions start: flags longer than this column leave it for a line of their own. */
export const DESCRIPTION_COLUMN = 34;
/** Description paragraphs wrap at this many characters. */
export const DESCRIPTION_WIDTH = 42;
/** Where the bracketed defaults start, on the first line of their option. */
export const DEFAULTS_COLUMN = DESCRIPTION_COLUMN + DESCRIPTION_WIDTH + 2;

/** Splits `text` into lines of at most `width` characters, at spaces (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Lays out help sections in three columns, flags, description and default, with the widths
 * computed here rather than typed by hand, so every default lines up whatever the text.
 */
export function formatSections(sections: readonly HelpSection[]): string {
  const out: string[] = [];
  const pad = (s: string, column: number) => s.padEnd(column, ' ');
  for (const section of sections) {
    out.push('', section.heading);
    for (const row of section.rows) {
      const text = wrap(row.text, DESCRIPTION_WIDTH);
      const lead = `  ${row.flags}`;
      let first = text.shift() ?? '';
      if (lead.length + 1 > DESCRIPTION_COLUMN) {
        out.push(lead);
        first = pad('', DESCRIPTION_COLUMN) + first;
      } else first = pad(lead, DESCRIPTION_COLUMN) + first;
      if (row.default !== undefined) first = `${pad(first, DEFAULTS_COLUMN)}[${row.default}]`;
      out.push(first.trimEnd());
      for (const line of text) out.push(pad('', DESCRIPTION_COLUMN) + line);
    }
    for (const note of section.notes ?? []) {
      for (const line of wrap(note, DEFAULTS_COLUMN - 2)) out.push(`  ${line}`);
    }
  }
  return `${out.join('\n')}\n`;
}
