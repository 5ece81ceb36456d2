import { EXIT } from '../usage-error.js';

export const BENCH_USAGE = `Usage: tidings bench [options]

Runs the benchmark suite of the Tidings repository (the @tidings/bench workspace)
against peers. Run "tidings bench --help" in a clone for its options.
`;

/** What `tidings bench` needs from the bench workspace. */
interface BenchModule {
  runBench(argv: string[]): Promise<number>;
}

/**
 * `tidings bench`: delegates to `@tidings/bench`, loaded only when asked for. The CLI does not
 * depend on it (the bench is a private workspace that starts the CLI as a process and pulls in the
 * peers it compares against), so a published CLI says how to get it instead of failing on import.
 */
export async function bench(argv: string[]): Promise<number> {
  // A computed specifier keeps the compiler and bundlers from resolving the optional workspace.
  const specifier = ['@tidings', 'bench'].join('/');
  let mod: BenchModule;
  try {
    mod = (await import(specifier)) as BenchModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(specifier)) throw e;
    process.stderr.write(
      'tidings bench: the benchmark suite (@tidings/bench) is not installed. It lives in the Tidings repository: clone it, run "npm ci && npm run build", then "npx tidings bench" or "npm run bench -w @tidings/bench".\n',
    );
    return EXIT.failed;
  }
  return mod.runBench(argv);
}
