import { describe, expect, it } from 'vitest';
import { clock } from './pretty.js';
import { formatLogLine } from './pretty-log-stream.js';

const plain = (_c: unknown, t: string) => t;
const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
const time = clock(new Date(at).toISOString());

describe('formatLogLine', () => {
  it('shows time, level name, message and the other fields as key=value', () => {
    const line = JSON.stringify({
      level: 30,
      time: at,
      pid: 1,
      hostname: 'h',
      node: 'n1',
      topics: ['a', 'b'],
      user: 'alice smith',
      n: 3,
      msg: 'stream opened',
    });
    expect(formatLogLine(line, plain)).toBe(
      `${time} INFO  stream opened node=n1 topics=["a","b"] user="alice smith" n=3\n`,
    );
  });

  it("puts an error's message inline and its stack on the lines below", () => {
    const line = JSON.stringify({
      level: 50,
      time: at,
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.js:1:1)' },
      msg: 'shutdown failed',
    });
    expect(formatLogLine(line, plain)).toBe(
      `${time} ERROR shutdown failed err=boom\n    Error: boom\n        at x (y.js:1:1)\n`,
    );
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(formatLogLine('not json\n', plain)).toBe('not json\n');
  });
});
