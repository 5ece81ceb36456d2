import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed flag values: booleans for boolean flags, strings (or lists with `multiple`) otherwise. */
export type FlagValues<O extends Options> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' }
    ? boolean
    : O[K] extends { multiple: true }
      ? string[]
      : string;
};

/**
 * `util.parseArgs` in strict mode, with its errors turned into {@link UsageError}s that name the
 * flag and say what to do.
 */
export function parseFlags<const O extends Options>(
  argv: string[],
  options: O,
  allowPositionals = true,
): { values: FlagValues<O>; positionals: string[] } {
  // `--workers -1` is a value, not a flag: parseArgs calls it ambiguous, which says nothing about
  // the real mistake. Joined as `--workers=-1`, the value reaches the flag's own check.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  try {
    const r = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: r.values as FlagValues<O>, positionals: r.positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const flag = /'([^']+)'/.exec(err.message)?.[1] ?? 'that option';
      throw new UsageError(`Unknown option ${flag}. Run with --help to see the options.`);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = /'([^']+)'/.exec(err.message)?.[1];
      if (flag && /ambiguous/.test(err.message))
        throw new UsageError(
          `Option ${flag} needs a value, not another option; write ${flag}=VALUE when the value starts with a dash. Run with --help to see the options.`,
        );
      throw new UsageError(
        `${(err.message.split('\n')[0] ?? '').replace(/\.$/, '')}. Run with --help to see the options.`,
      );
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`Unexpected argument: ${err.message.split("'")[1] ?? ''}. Run with --help.`);
    }
    throw e;
  }
}
