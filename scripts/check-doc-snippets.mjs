#!/usr/bin/env node
// Type-checks every ```ts / ```tsx code block in the docs (docs/**/*.md, README.md,
// CHANGELOG.md, packages/*/README.md, examples/*/README.md) against the built packages (run
// `tsc -b` first; `npm test` does). Each block is its own ES module, resolving @tidings/* the way an
// application does: through node_modules and each package's `exports`, to its dist/*.d.ts.
// Errors are reported as markdown-file:line:column.
// A block that is intentionally partial opts out with `nocheck` in its info string: ```ts nocheck
// A block the reader saves as a file says so (```ts file=server.ts) and is checked under that name,
// so the page's blocks import one another as the reader's files do.
// A block that uses names the reader already has (your router, your auth) may declare them in an
// HTML comment right above it, which readers of the rendered page do not see:
//   <!-- ts-preamble
//   declare const auth: { getToken(o: { forceRefresh: boolean }): Promise<string> };
//   -->
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository, so `@tidings/*`, react and the other dev dependencies resolve from node_modules.
const out = join(root, 'node_modules', '.cache', 'doc-snippets');

function markdownFiles() {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      // The generated reference shows signatures, not programs.
      if (path === join(root, 'docs', 'reference')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  walk(join(root, 'docs'));
  for (const top of ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md']) files.push(join(root, top));
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, group))) files.push(join(root, group, name, 'README.md'));
  }
  return files.filter((f) => existsSync(f));
}

/** The ```ts/```tsx blocks of one markdown file, with the line their code starts on. */
function snippetsOf(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const snippets = [];
  let open = null;
  lines.forEach((line, index) => {
    if (open) {
      if (/^\s*```\s*$/.test(line)) {
        snippets.push(open);
        open = null;
      } else open.code.push(line);
      return;
    }
    const fence = /^\s*```(\S*)\s*(.*)$/.exec(line);
    if (!fence) return;
    const lang = fence[1];
    if (['ts', 'tsx', 'typescript'].includes(lang) && !/\bnocheck\b/.test(fence[2] ?? '')) {
      const fileName = /\bfile=(\S+\.tsx?)\b/.exec(fence[2] ?? '')?.[1];
      open = { file, ext: lang === 'tsx' ? 'tsx' : 'ts', line: index + 2, code: [], preamble: [], fileName };
      // An HTML comment that ends on the line above and starts with "<!-- ts-preamble".
      if (index > 0 && /-->\s*$/.test(lines[index - 1])) {
        let start = index - 1;
        while (start > 0 && !lines[start].includes('<!--')) start--;
        const comment = lines.slice(start, index);
        if (/<!--\s*ts-preamble/.test(comment[0])) {
          open.preamble = comment
            .map((l) => l.replace(/<!--\s*ts-preamble/, '').replace(/-->\s*$/, ''))
            .filter((l) => l.trim());
          open.preambleLine = start + 1;
        }
      }
    } else {
      open = { skip: true, code: [] };
    }
  });
  return snippets.filter((s) => !s.skip);
}

// One TypeScript program per document: its blocks share declarations such as a `Register`
// augmentation (one app per page), and pages cannot clash with each other.
const tsconfig = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM', 'DOM.Iterable', 'DOM.AsyncIterable'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    jsx: 'react-jsx',
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
  },
  include: ['*.ts', '*.tsx'],
};
rmSync(out, { recursive: true, force: true });
const byName = new Map();
const programs = [];
for (const file of markdownFiles()) {
  const snippets = snippetsOf(file);
  if (!snippets.length) continue;
  const dir = join(out, relative(root, file).replace(/[^A-Za-z0-9]+/g, '_'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  programs.push(dir);
  // Relative imports mean files beside the document (an example's own modules).
  const beside = relative(dir, dirname(file)).split('\\').join('/');
  for (const snippet of snippets) {
    // A block the reader saves as a file (```ts file=server.ts) keeps its name, so the page's
    // other files import it as the reader's would; relative imports then mean those files.
    const name = snippet.fileName ?? `L${snippet.line}.${snippet.ext}`;
    const code = [...snippet.preamble, ...snippet.code].join('\n');
    const text = snippet.fileName
      ? code
      : code.replace(/(from\s+|import\s*\(\s*)(['"])\.(\.?)\//g, `$1$2${beside}/.$3/`);
    // `export {}` keeps each block a module of its own, with top-level await and no shared globals.
    writeFileSync(join(dir, name), `${text}\nexport {};\n`);
    byName.set(`${dir}/${name}`, snippet);
  }
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const outputs = [];
// Two at a time: the machine is shared.
const queue = [...programs];
await Promise.all(
  [0, 1].map(async () => {
    for (let dir = queue.shift(); dir; dir = queue.shift()) {
      try {
        await run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { maxBuffer: 16 << 20, cwd: dir });
      } catch (error) {
        outputs.push({ dir, text: `${error.stdout}${error.stderr}` });
      }
    }
  }),
);
// Rewrite "L41.ts(3,5): error TS…" to "docs/x.md:43:5: error TS…".
const errors = outputs.flatMap(({ dir, text }) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^(.+?\.tsx?)\((\d+),(\d+)\): (.*)$/.exec(l);
      const snippet = m && byName.get(`${dir}/${m[1]}`);
      if (!snippet) return l;
      const line = Number(m[2]) - snippet.preamble.length;
      const mdLine = line >= 1 ? snippet.line + line - 1 : snippet.preambleLine;
      return `${relative(root, snippet.file)}:${mdLine}:${m[3]}: ${m[4]}`;
    }),
);
if (errors.length) {
  console.error(errors.join('\n'));
  console.error(
    `\ncheck-doc-snippets: the code blocks above do not type-check. Fix them, or mark a block that is ` +
      'intentionally partial with ```ts nocheck.',
  );
  process.exit(1);
}
console.log(`check-doc-snippets: ${byName.size} ts/tsx blocks type-check against the built packages.`);
