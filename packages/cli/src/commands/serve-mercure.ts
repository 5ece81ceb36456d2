import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JwtOptions, MercureOptions } from '@tidings/server';
import type { FlagValues } from '../args.js';
import type { HelpSection } from '../help-table.js';
import { parseDuration } from '../parse-values.js';
import { UsageError } from '../usage-error.js';

/** `tidings serve` flags of the Mercure face. */
export const MERCURE_FLAGS = {
  mercure: { type: 'boolean' },
  'mercure-publisher-jwt-key': { type: 'string' },
  'mercure-publisher-jwt-alg': { type: 'string' },
  'mercure-subscriber-jwt-key': { type: 'string' },
  'mercure-subscriber-jwt-alg': { type: 'string' },
  'mercure-anonymous': { type: 'boolean' },
  'mercure-no-anonymous': { type: 'boolean' },
  'mercure-publish-origin': { type: 'string', multiple: true },
  'mercure-cookie': { type: 'string' },
  'mercure-subscriptions': { type: 'boolean' },
  'mercure-subscriptions-refresh': { type: 'string' },
} as const;

/** Where `tidings serve --help` sends readers for the Mercure face. */
export const MERCURE_GUIDE = 'docs/migrating-from-mercure.md';

/** The help section of {@link MERCURE_FLAGS}. */
export const MERCURE_SECTION: HelpSection = {
  heading: `Mercure (a drop-in Mercure hub on /.well-known/mercure; see ${MERCURE_GUIDE}):`,
  rows: [
    { flags: '--mercure', text: 'Speak the Mercure protocol too' },
    {
      flags: '--mercure-publisher-jwt-key <file>',
      text: "HS256 secret or PEM public key for publishers' JWTs ($MERCURE_PUBLISHER_JWT_KEY holds the key itself)",
    },
    {
      flags: '--mercure-publisher-jwt-alg <alg>',
      text: 'e.g. HS256, RS256, ES256 ($MERCURE_PUBLISHER_JWT_ALG)',
      default: 'HS256 / after the key',
    },
    {
      flags: '--mercure-subscriber-jwt-key <file>',
      text: "Key for subscribers' JWTs ($MERCURE_SUBSCRIBER_JWT_KEY)",
      default: 'the publisher key',
    },
    {
      flags: '--mercure-subscriber-jwt-alg <alg>',
      text: "Algorithm of subscribers' JWTs ($MERCURE_SUBSCRIBER_JWT_ALG)",
    },
    {
      flags: '--mercure-anonymous',
      text: 'Let subscribers without a JWT in (public updates only)',
      default: 'on with --dev',
    },
    { flags: '--mercure-no-anonymous', text: 'Refuse them, also with --dev' },
    {
      flags: '--mercure-publish-origin <origin>',
      text: 'Origin allowed to publish with the cookie (repeatable, "*")',
    },
    {
      flags: '--mercure-cookie <name>',
      text: 'Cookie that may carry the JWT',
      default: 'mercureAuthorization',
    },
    { flags: '--mercure-subscriptions', text: 'Subscription events and the subscriptions API' },
    {
      flags: '--mercure-subscriptions-refresh <dur>',
      text: 'How often nodes re-announce subscriptions',
      default: '30s',
    },
  ],
  notes: [
    'CORS origins (cors_origins) are --cors-origin; the keep-alive interval is --heartbeat.',
    "Without the hub's own credentials (not --dev), /events and /publish stay closed.",
  ],
};

type Values = FlagValues<typeof MERCURE_FLAGS>;

/** What the Mercure flags resolve to. */
export interface ServeMercure {
  mercure: MercureOptions | undefined;
  /** Whether some key to verify Mercure tokens was given. */
  hasKeys: boolean;
  /** Lines for the startup log. */
  notes: string[];
}

function readKey(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new UsageError(
      `--${flag} cannot read "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
    );
  }
}

function jwtOptions(who: 'publisher' | 'subscriber', key: string, alg: string | undefined): JwtOptions {
  const pem = key.startsWith('-----BEGIN');
  const algorithms = alg === undefined ? undefined : [alg.trim()];
  if (!pem && alg !== undefined && !/^HS(256|384|512)$/.test(alg.trim())) {
    throw new UsageError(
      `The Mercure ${who} key is a shared secret, which ${alg} cannot use; give a PEM public key for ${alg}, or use HS256.`,
    );
  }
  return pem ? { publicKey: key, algorithms } : { secret: key, algorithms };
}

function base64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url');
}

/** A HS256 JWT with a `mercure` claim, for the development token printed at startup. */
export function devToken(secret: string, mercure: Record<string, unknown>): string {
  const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify({ mercure }));
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/**
 * Turns the Mercure flags (and Mercure's own environment variables) into hub options.
 * @throws UsageError when a Mercure flag is given without `--mercure`, or a value is unusable.
 */
export function mercureFromFlags(
  values: Values,
  dev: boolean,
  env: NodeJS.ProcessEnv = process.env,
): ServeMercure {
  if (!values.mercure) {
    const stray = Object.keys(MERCURE_FLAGS).find(
      (f) => f !== 'mercure' && values[f as keyof Values] !== undefined,
    );
    if (stray) throw new UsageError(`--${stray} needs --mercure.`);
    return { mercure: undefined, hasKeys: false, notes: [] };
  }
  if (values['mercure-anonymous'] && values['mercure-no-anonymous']) {
    throw new UsageError('--mercure-anonymous and --mercure-no-anonymous exclude each other.');
  }
  const notes: string[] = [];
  let pubKey =
    values['mercure-publisher-jwt-key'] !== undefined
      ? readKey('mercure-publisher-jwt-key', values['mercure-publisher-jwt-key'])
      : env.MERCURE_PUBLISHER_JWT_KEY;
  const subKey =
    values['mercure-subscriber-jwt-key'] !== undefined
      ? readKey('mercure-subscriber-jwt-key', values['mercure-subscriber-jwt-key'])
      : env.MERCURE_SUBSCRIBER_JWT_KEY;
  const pubAlg = values['mercure-publisher-jwt-alg'] ?? env.MERCURE_PUBLISHER_JWT_ALG;
  const subAlg = values['mercure-subscriber-jwt-alg'] ?? env.MERCURE_SUBSCRIBER_JWT_ALG;
  const hasKeys = pubKey !== undefined || subKey !== undefined;
  if (!hasKeys && dev) {
    // Development: a throw-away key, and a token that may do everything, ready to paste.
    pubKey = randomBytes(32).toString('base64url');
    notes.push(
      `Mercure development token (publish and subscribe to everything; valid until restart): ${devToken(pubKey, { publish: ['*'], subscribe: ['*'] })}`,
    );
  }
  if (!hasKeys && !dev) {
    notes.push('Mercure: no publisher key, so nobody can publish through /.well-known/mercure');
  }
  const refresh = values['mercure-subscriptions-refresh'];
  const mercure: MercureOptions = {
    publisherJwt: pubKey === undefined ? undefined : jwtOptions('publisher', pubKey, pubAlg),
    subscriberJwt: subKey === undefined ? undefined : jwtOptions('subscriber', subKey, subAlg),
    anonymous: values['mercure-no-anonymous'] ? false : values['mercure-anonymous'] || dev,
    publishOrigins: values['mercure-publish-origin'],
    cookieName: values['mercure-cookie'],
    subscriptions: values['mercure-subscriptions'],
    subscriptionsRefreshMs:
      refresh === undefined ? undefined : parseDuration('mercure-subscriptions-refresh', refresh),
  };
  return { mercure, hasKeys: hasKeys || dev, notes };
}
