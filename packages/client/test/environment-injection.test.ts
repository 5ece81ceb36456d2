import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/** The one module that reads the host's globals, to build the default `ClientEnvironment`. */
const HOST_MODULE = 'browser-environment.ts';

/** Web-standard globals every runtime the client supports has (browsers, workers, Node 20, Deno, Bun). */
const UNIVERSAL = new Set(['URL', 'AbortController', 'TextDecoder']);

/** ECMAScript's clock and randomness: `environment.timers.now()` and `environment.random()` replace them. */
const CLOCKS = new Set(['Date.now', 'Math.random']);

/** Packages the client may import: everything else must come in through `ClientEnvironment`. */
const PACKAGES = new Set(['@tidings/protocol', 'eventsource-parser']);

/** A declaration of the lib's global scope, not a member of one of its interfaces. */
function isGlobal(d: ts.Node): boolean {
  for (let p = d.parent; p && !ts.isSourceFile(p); p = p.parent) {
    if (ts.isInterfaceDeclaration(p) || ts.isTypeLiteralNode(p) || ts.isClassDeclaration(p)) return false;
  }
  return true;
}

/** Every value the client's sources take from the DOM's globals, and every package they import. */
function hostReferences(): { globals: string[]; imports: string[] } {
  const files = readdirSync(src)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== HOST_MODULE)
    .map((f) => src + f);
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const globals = new Set<string>();
  const imports = new Set<string>();
  for (const file of files) {
    const sf = program.getSourceFile(file) as ts.SourceFile;
    const visit = (node: ts.Node): void => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
        const spec = (node.moduleSpecifier as ts.StringLiteral).text;
        if (!spec.startsWith('./')) imports.add(spec);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        if (arg && ts.isStringLiteral(arg) && !arg.text.startsWith('./')) imports.add(arg.text);
      } else if (ts.isPropertyAccessExpression(node) && CLOCKS.has(node.getText(sf))) {
        // The clock and randomness come from the environment too, so that tests can fake them.
        globals.add(`${node.getText(sf)} (${sf.fileName.slice(src.length)})`);
      } else if (
        ts.isNewExpression(node) &&
        node.expression.getText(sf) === 'Date' &&
        !node.arguments?.length
      ) {
        globals.add(`new Date() (${sf.fileName.slice(src.length)})`);
      } else if (ts.isIdentifier(node) && !ts.isPartOfTypeNode(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        const d = symbol?.valueDeclaration;
        if (d && /lib\.dom/.test(d.getSourceFile().fileName) && isGlobal(d)) {
          globals.add(`${node.text} (${sf.fileName.slice(src.length)})`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return {
    globals: [...globals].filter((g) => !UNIVERSAL.has(g.split(' ')[0] as string)).sort(),
    imports: [...imports].filter((i) => !PACKAGES.has(i)).sort(),
  };
}

describe('the client core', () => {
  it(`reaches the host only through ClientEnvironment: no DOM global outside ${HOST_MODULE}, no framework or Node module`, () => {
    expect(hostReferences()).toEqual({ globals: [], imports: [] });
  }, 60_000);
});
