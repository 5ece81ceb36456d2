import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/** Where one secret may come from: `--<flag>-file`, an environment variable, or `--<flag>`. */
export interface SecretSources {
  /** The flag that takes the secret itself, e.g. `admin-token` (its file flag is `admin-token-file`). */
  readonly flag: string;
  /** The value of `--<flag>`, from the command line. */
  readonly value: string | undefined;
  /** The value of `--<flag>-file`: a path. */
  readonly file: string | undefined;
  /** The environment variable that may hold the secret, e.g. `TIDINGS_ADMIN_TOKEN`. */
  readonly envName: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A secret and, when it came from the command line, the warning to print about that. */
export interface SecretValue {
  readonly value: string | undefined;
  /** Set when the secret was given on the command line, where every user sees it. */
  readonly warning: string | undefined;
}

/**
 * Resolves a secret from its file flag, its environment variable or its command-line flag, in
 * that order of preference. A secret on the command line still works, but shows in the process
 * list (`ps`, /proc/<pid>/cmdline) to every user of the machine, so it comes with a warning that
 * names the safer ways. The file's content is trimmed.
 * @throws UsageError when both the flag and its file flag are given, or the file cannot be read
 *   or is empty.
 */
export function secretFromFlags(s: SecretSources): SecretValue {
  if (s.value !== undefined && s.file !== undefined) {
    throw new UsageError(
      `--${s.flag} and --${s.flag}-file exclude each other: give the secret once, in the file.`,
    );
  }
  if (s.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(s.file, 'utf8').trim();
    } catch (e) {
      throw new UsageError(
        `--${s.flag}-file cannot read "${s.file}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      );
    }
    if (text.length === 0)
      throw new UsageError(`--${s.flag}-file "${s.file}" is empty; put the secret in it.`);
    return { value: text, warning: undefined };
  }
  if (s.value !== undefined) {
    return {
      value: s.value,
      warning: `--${s.flag} on the command line is visible to every user of this machine in the process list; put it in a file and pass --${s.flag}-file <file>, or set ${s.envName}.`,
    };
  }
  const fromEnv = s.env[s.envName];
  return { value: fromEnv === '' ? undefined : fromEnv, warning: undefined };
}

/**
 * The bearer token of `tidings publish` / `subscribe`: `--token-file`, `$TIDINGS_TOKEN`, or
 * `--token` (which prints a warning to stderr, as the process list shows it).
 * @throws UsageError as {@link secretFromFlags}.
 */
export function tokenFromFlags(
  command: string,
  value: string | undefined,
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const s = secretFromFlags({ flag: 'token', value, file, envName: 'TIDINGS_TOKEN', env });
  if (s.warning) process.stderr.write(`tidings ${command}: warning: ${s.warning}\n`);
  return s.value;
}
