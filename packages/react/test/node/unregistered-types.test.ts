import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The hooks without a registered contract accept any type name. tsconfig.test.json cannot show
// that: app-events.ts registers a contract for its whole program. So this compiles a fixture in a
// program of its own, served from memory (nothing is written), and asserts what the compiler says.

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixturePath = `${root}packages/react/test/node/unregistered.fixture.tsx`;

const fixture = `
import { useEvent, useEvents, useLastEvent } from '@tidings/react';
import { useQueryInvalidation } from '@tidings/react/query';
import { useSWRInvalidation } from '@tidings/react/swr';
import { EventToaster } from '@tidings/react/toast';
import { createElement } from 'react';

export function Untyped({ type }: { type: string }) {
  useEvent('anything-at-all', (data, meta) => {
    const d: unknown = data;
    const t: 'anything-at-all' = meta.type;
    return [d, t];
  });
  useEvent('any-*', () => {});
  useEvent(type, () => {});
  useEvent('*', (e) => e.declared);
  useEvents({ types: ['x', 'y-*', type] });
  useLastEvent(type);
  useQueryInvalidation({ 'whatever': [['k']], 'also-*': (e) => [[e.type]] });
  useSWRInvalidation({ 'whatever': ['/api'] });
  useEvent('typed-nowhere', (data) => {
    // @ts-expect-error without a contract payloads are unknown
    return data.ip;
  });
  return createElement(EventToaster, { map: { 'any-type': { title: 'ok' } } });
}
`;

function compile(): readonly ts.Diagnostic[] {
  const configFile = `${root}tsconfig.test.json`;
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configFile);
  const options = { ...parsed.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f === fixturePath || fileExists.call(host, f);
  host.readFile = (f) => (f === fixturePath ? fixture : readFile.call(host, f));
  host.getSourceFile = (f, lang, ...rest) =>
    f === fixturePath
      ? ts.createSourceFile(f, fixture, lang, true, ts.ScriptKind.TSX)
      : getSourceFile.call(host, f, lang, ...rest);
  const program = ts.createProgram({ rootNames: [fixturePath], options, host });
  return ts.getPreEmitDiagnostics(program);
}

describe('the React hooks without a registered contract', () => {
  it('accept any type name, glob or string, and keep payloads unknown', () => {
    const messages = compile().map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
      const file = d.file ? d.file.fileName.slice(root.length) : '';
      return `${file}:${where ? where.line + 1 : '?'} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(messages).toEqual([]);
  }, 180_000);
});
