import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import {
  type AuthOptions,
  type CorsOptions,
  checkKeySet,
  type JwtOptions,
  type LimitOptions,
  MAX_KEY_SET_BYTES,
  type ServerLimits,
} from '@tidings/server';
import type { FlagValues } from '../args.js';
import type { HelpSection } from '../help-table.js';
import { parseBytes, parseDuration, parsePositiveInt } from '../parse-values.js';
import { UsageError } from '../usage-error.js';

/** `tidings serve` flags for authentication, CORS and abuse limits. */
export const SECURITY_FLAGS = {
  dev: { type: 'boolean' },
  'jwt-secret-file': { type: 'string' },
  'jwt-public-key': { type: 'string' },
  'jwks-file': { type: 'string' },
  'jwt-alg': { type: 'string' },
  'jwt-issuer': { type: 'string' },
  'jwt-audience': { type: 'string' },
  'max-token-lifetime': { type: 'string' },
  'token-cookie': { type: 'string' },
  'tenant-claim': { type: 'string' },
  'publisher-key-file': { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
  'max-connections-per-user': { type: 'string' },
  'max-connections-per-ip': { type: 'string' },
  'max-pattern-wildcards': { type: 'string' },
  'max-topics': { type: 'string' },
  'publish-rate': { type: 'string' },
  'publish-burst': { type: 'string' },
  'max-header-size': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'first-byte-timeout': { type: 'string' },
} as const;

/** The help sections of {@link SECURITY_FLAGS}. */
export const SECURITY_SECTIONS: readonly HelpSection[] = [
  {
    heading: 'Authentication (required: pass at least one of the first four, or --dev):',
    rows: [
      {
        flags: '--jwt-secret-file <file>',
        text: 'HS256 secret for user tokens ($TIDINGS_JWT_SECRET also works)',
      },
      { flags: '--jwt-public-key <file>', text: 'PEM public key (RS256 or ES256) for user tokens' },
      { flags: '--jwks-file <file>', text: 'Local JWKS file of public keys for user tokens (by kid)' },
      {
        flags: '--publisher-key-file <file>',
        text: 'Key your backend publishes with, as Authorization: Bearer ($TIDINGS_PUBLISHER_KEY also works)',
      },
      { flags: '--dev', text: 'No authentication, any CORS origin: for development only' },
      {
        flags: '--jwt-alg <list>',
        text: 'Accepted algorithms, e.g. RS256,ES256',
        default: 'HS256 / after the key',
      },
      { flags: '--jwt-issuer <iss>', text: 'Required "iss" claim' },
      { flags: '--jwt-audience <aud>', text: 'Required "aud" claim' },
      {
        flags: '--max-token-lifetime <dur>',
        text: 'Longest "iat"-to-"exp" span of a user token; a user logout holds this long',
        default: '24h',
      },
      { flags: '--token-cookie <name>', text: 'Cookie that may carry the token', default: 'access_token' },
      { flags: '--tenant-claim <name>', text: 'Claim holding the tenant', default: 'tenant' },
      {
        flags: '--cors-origin <origin>',
        text: 'Let a browser origin call the hub, with cookies (repeatable; "*" allows any origin without cookies)',
      },
    ],
  },
  {
    heading: 'Limits ("off" turns one off):',
    rows: [
      {
        flags: '--max-connections-per-user <n>',
        text: 'Open streams per user (tenant and sub)',
        default: '32',
      },
      { flags: '--max-connections-per-ip <n>', text: 'Open streams per client address', default: '256' },
      { flags: '--max-pattern-wildcards <n>', text: 'Wildcard segments in one pattern', default: '4' },
      { flags: '--max-topics <n>', text: 'Topics and patterns per subscription', default: '64' },
      { flags: '--publish-rate <n>', text: 'Events per second per token publisher', default: '50' },
      { flags: '--publish-burst <n>', text: 'Events a token publisher may send at once', default: '200' },
      { flags: '--max-header-size <size>', text: 'Largest request head', default: '16KiB' },
      { flags: '--headers-timeout <dur>', text: 'Time allowed to send the request head', default: '10s' },
      {
        flags: '--first-byte-timeout <dur>',
        text: 'Idle time allowed before the first request',
        default: '5s',
      },
    ],
  },
];

/** What the security flags resolve to. */
export interface ServeSecurity {
  auth: AuthOptions | undefined;
  limits: LimitOptions | false | undefined;
  cors: CorsOptions | undefined;
  server: ServerLimits;
  maxTopicsPerSubscription: number | undefined;
  /** A line for the startup log describing the mode. */
  summary: string;
}

type Values = FlagValues<typeof SECURITY_FLAGS>;

function readSecretFile(flag: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `--${flag} cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
    );
  }
  return text.trim();
}

function limit(flag: string, v: string | undefined): number | false | undefined {
  if (v === undefined) return undefined;
  if (v === 'off') return false;
  return parsePositiveInt(flag, v);
}

const AUTH_FLAGS = ['jwt-secret-file', 'jwt-public-key', 'jwks-file', 'publisher-key-file'] as const;

/**
 * Turns the security flags into hub options.
 * @throws UsageError when no authentication is configured and `--dev` is absent, when `--dev` is
 *   combined with authentication, or when a flag's value is unusable.
 */
export function securityFromFlags(
  values: Values,
  env: NodeJS.ProcessEnv = process.env,
  /** Set when another face (Mercure) has its own credentials: then the hub's own API may stay closed. */
  otherFace?: string,
): ServeSecurity {
  const jwtSecret =
    values['jwt-secret-file'] !== undefined
      ? readSecretFile('jwt-secret-file', values['jwt-secret-file'])
      : env.TIDINGS_JWT_SECRET;
  const publisherKey =
    values['publisher-key-file'] !== undefined
      ? readSecretFile('publisher-key-file', values['publisher-key-file'])
      : env.TIDINGS_PUBLISHER_KEY;
  const publicKey =
    values['jwt-public-key'] !== undefined
      ? readSecretFile('jwt-public-key', values['jwt-public-key'])
      : undefined;
  let jwks: JwtOptions['jwks'];
  if (values['jwks-file'] !== undefined) {
    const path = values['jwks-file'];
    // Sized before it is read: a key set is a few keys, never megabytes (indentation allowed for).
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      // readSecretFile says why it cannot be read.
    }
    if (size > 4 * MAX_KEY_SET_BYTES) {
      throw new UsageError(
        `--jwks-file "${path}" is ${size} bytes; a key set may have at most ${MAX_KEY_SET_BYTES} bytes of JSON. Keep only the public keys in use.`,
      );
    }
    const text = readSecretFile('jwks-file', path);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`--jwks-file "${path}" is not JSON; it must hold {"keys":[...]}.`);
    }
    try {
      checkKeySet(parsed, `--jwks-file "${path}"`);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    jwks = parsed;
  }
  const keySources = [jwtSecret, publicKey, jwks].filter((x) => x !== undefined).length;
  if (keySources > 1) {
    throw new UsageError(
      'Give one way to verify user tokens: --jwt-secret-file, --jwt-public-key or --jwks-file.',
    );
  }
  const anyAuth = keySources > 0 || publisherKey !== undefined;
  const jwtOnlyFlags = ['jwt-alg', 'jwt-issuer', 'jwt-audience', 'max-token-lifetime'] as const;
  if (keySources === 0) {
    for (const f of jwtOnlyFlags) {
      if (values[f] !== undefined)
        throw new UsageError(
          `--${f} needs a key to verify tokens with: add --jwt-secret-file, --jwt-public-key or --jwks-file.`,
        );
    }
  }

  const maxHeader = values['max-header-size'];
  const server: ServerLimits = {
    maxHeaderBytes: maxHeader === undefined ? undefined : parseBytes('max-header-size', maxHeader),
    headersTimeoutMs:
      values['headers-timeout'] === undefined
        ? undefined
        : parseDuration('headers-timeout', values['headers-timeout']),
    firstByteTimeoutMs:
      values['first-byte-timeout'] === undefined
        ? undefined
        : parseDuration('first-byte-timeout', values['first-byte-timeout']),
  };
  const maxTopics =
    values['max-topics'] === undefined ? undefined : parsePositiveInt('max-topics', values['max-topics']);
  const origins = values['cors-origin'];

  if (values.dev) {
    if (anyAuth) {
      const which = AUTH_FLAGS.filter((f) => values[f] !== undefined).map((f) => `--${f}`);
      const envs = [
        env.TIDINGS_JWT_SECRET !== undefined && '$TIDINGS_JWT_SECRET',
        env.TIDINGS_PUBLISHER_KEY !== undefined && '$TIDINGS_PUBLISHER_KEY',
      ].filter(Boolean);
      throw new UsageError(
        `--dev turns authentication off; remove it, or remove ${[...which, ...envs].join(' and ')}.`,
      );
    }
    return {
      auth: undefined,
      limits: undefined,
      cors: { origins: origins ?? ['*'] },
      server,
      maxTopicsPerSubscription: maxTopics,
      summary:
        'DEVELOPMENT MODE: no authentication, anyone who can reach this port may read and publish everything',
    };
  }
  if (!anyAuth && otherFace !== undefined) {
    // No credentials for /events and /publish: a key nobody knows keeps them closed, while the
    // other face authenticates with its own keys.
    return {
      auth: { publisherKey: randomBytes(32).toString('base64url') },
      limits: undefined,
      cors: origins ? { origins } : undefined,
      server,
      maxTopicsPerSubscription: maxTopics,
      summary: `authentication: ${otherFace} only; /events and /publish are closed (no --jwt-secret-file or --publisher-key-file)`,
    };
  }
  if (!anyAuth) {
    throw new UsageError(
      'The hub needs authentication: pass --jwt-secret-file <file> (or $TIDINGS_JWT_SECRET), --jwt-public-key <pem> or --jwks-file <file> for user tokens, and --publisher-key-file <file> (or $TIDINGS_PUBLISHER_KEY) for your backend. For local development without auth, pass --dev.',
    );
  }
  const algorithms = values['jwt-alg']
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const auth: AuthOptions = {
    jwt:
      keySources === 0
        ? undefined
        : {
            ...(jwtSecret !== undefined && { secret: jwtSecret }),
            ...(publicKey !== undefined && { publicKey }),
            ...(jwks !== undefined && { jwks }),
            algorithms,
            issuer: values['jwt-issuer'],
            audience: values['jwt-audience'],
          },
    publisherKey,
    maxTokenLifetimeMs:
      values['max-token-lifetime'] === undefined
        ? undefined
        : parseDuration('max-token-lifetime', values['max-token-lifetime']),
    cookieName: values['token-cookie'],
    tenantClaim: values['tenant-claim'],
  };
  const rate = values['publish-rate'];
  const burst = values['publish-burst'];
  let publishRate: LimitOptions['publishRate'];
  if (rate === 'off') publishRate = false;
  else if (rate !== undefined || burst !== undefined) {
    const perSecond = rate === undefined ? 50 : parsePositiveInt('publish-rate', rate);
    publishRate = {
      perSecond,
      burst: burst === undefined ? Math.max(perSecond, 200) : parsePositiveInt('publish-burst', burst),
    };
  }
  return {
    auth,
    limits: {
      connectionsPerUser: limit('max-connections-per-user', values['max-connections-per-user']),
      connectionsPerIp: limit('max-connections-per-ip', values['max-connections-per-ip']),
      maxPatternWildcards: limit('max-pattern-wildcards', values['max-pattern-wildcards']),
      publishRate,
    },
    cors: origins ? { origins } : undefined,
    server,
    maxTopicsPerSubscription: maxTopics,
    summary: `authentication: ${[keySources > 0 && 'user tokens (JWT)', publisherKey !== undefined && 'publisher key'].filter(Boolean).join(' and ')}`,
  };
}
