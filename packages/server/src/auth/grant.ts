import { compilePattern, patternCovers, type TopicPattern, validatePattern } from '@tidings/protocol';

/**
 * What a token lets its holder do: the patterns it may read and publish to, after `{sub}` and
 * `{tenant}` were filled in, and the tenant it is confined to.
 */
export interface TopicGrant {
  /** Patterns whose topics may be read. */
  readonly subscribe: readonly TopicPattern[];
  /** Patterns whose topics may be published to. */
  readonly publish: readonly TopicPattern[];
  /**
   * Patterns of the command names that may be called, with `.` as the separator written `/` (so
   * `job.*` is held as `job/*`). Absent or empty: no command.
   */
  readonly commands?: readonly TopicPattern[] | undefined;
  /**
   * When set, topics under `<tenantRoot>/<other tenant>/…` are neither readable nor publishable,
   * whatever the patterns say: a token can never reach into another tenant.
   */
  readonly tenant?: string | undefined;
  /** First segment of tenant topics (`"tenant"` in `tenant/acme/jobs`); `false` turns the guard off. */
  readonly tenantRoot: string | false;
}

/** Values for the placeholders of grant patterns. */
export interface PlaceholderValues {
  readonly sub?: string | undefined;
  readonly tenant?: string | undefined;
}

/** Most patterns in one `subscribe` or `publish` claim. */
export const MAX_GRANT_PATTERNS = 64;

const PLACEHOLDER = /\{([^{}]*)\}/g;
const SEGMENT_SAFE = /^[\x21-\x7e]+$/;

/** Why a value cannot fill a placeholder, or undefined when it can. */
function segmentProblem(value: string): string | undefined {
  if (value.length === 0) return 'it is empty';
  if (value.length > 128) return 'it is longer than 128 characters';
  if (!SEGMENT_SAFE.test(value)) return 'it contains a space, control or non-ASCII character';
  if (value.includes('/')) return 'it contains "/"';
  if (value.includes('*')) return 'it contains "*"';
  if (value.includes('{') || value.includes('}')) return 'it contains a brace';
  if (value === '.' || value === '..') return `it is "${value}"`;
  return undefined;
}

/**
 * Fills `{sub}` and `{tenant}` in a grant pattern and validates the result.
 *
 * A value is inserted only if it is a safe part of one topic segment (printable ASCII, no `/`,
 * `*` or braces, not `.` or `..`), so a crafted `sub` such as `x/../**` can never widen a grant.
 * @returns the compiled pattern; `null` when the token lacks the claim a placeholder needs (the
 *   pattern then grants nothing); or a sentence saying why the pattern is unusable.
 */
export function expandGrantPattern(raw: unknown, values: PlaceholderValues): TopicPattern | string | null {
  if (typeof raw !== 'string') return 'Every grant pattern must be a string.';
  let problem: string | undefined;
  let missing = false;
  const expanded = raw.replace(PLACEHOLDER, (whole, name: string) => {
    if (name !== 'sub' && name !== 'tenant') {
      problem ??= `The grant pattern "${raw}" uses the unknown placeholder ${whole}; only {sub} and {tenant} exist.`;
      return whole;
    }
    const value = values[name];
    if (value === undefined) {
      missing = true;
      return whole;
    }
    const why = segmentProblem(value);
    if (why) {
      problem ??= `The token's ${name} claim cannot fill {${name}} in "${raw}" because ${why}.`;
      return whole;
    }
    return value;
  });
  if (problem) return problem;
  if (missing) return null;
  if (expanded.includes('{') || expanded.includes('}')) {
    return `The grant pattern "${raw}" has an unbalanced brace; placeholders are written {sub} and {tenant}.`;
  }
  const err = validatePattern(expanded);
  if (err) return `The grant pattern "${raw}" is not a valid pattern: ${err.message}`;
  return compilePattern(expanded);
}

/**
 * Expands a claim's list of patterns.
 * @returns the compiled patterns, or a sentence naming the first unusable one.
 */
export function expandGrantList(raw: unknown, values: PlaceholderValues): TopicPattern[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return 'A grant must be a list of patterns such as ["user/{sub}"].';
  if (raw.length > MAX_GRANT_PATTERNS) {
    return `A grant lists ${raw.length} patterns; the limit is ${MAX_GRANT_PATTERNS}. Use wildcards.`;
  }
  const out: TopicPattern[] = [];
  for (const r of raw) {
    const p = expandGrantPattern(r, values);
    if (typeof p === 'string') return p;
    if (p) out.push(p);
  }
  return out;
}

/**
 * Whether some topic is matched by both patterns (both valid). Exact: `false` means no topic at
 * all is matched by both.
 */
export function patternsIntersect(a: TopicPattern, b: TopicPattern): boolean {
  const aFixed = a.deep ? a.segments.length - 1 : a.segments.length;
  const bFixed = b.deep ? b.segments.length - 1 : b.segments.length;
  const n = Math.min(aFixed, bFixed);
  for (let k = 0; k < n; k++) {
    const x = a.segments[k];
    const y = b.segments[k];
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
  if (!a.deep && !b.deep) return aFixed === bFixed;
  if (a.deep && !b.deep) return bFixed >= aFixed && bFixed > 0;
  if (!a.deep && b.deep) return aFixed >= bFixed && aFixed > 0;
  return true;
}

/** Whether the tenant guard refuses `topic` (split into segments) for this grant. */
function foreignTenant(grant: TopicGrant, segs: readonly string[]): boolean {
  return (
    grant.tenant !== undefined &&
    grant.tenantRoot !== false &&
    segs[0] === grant.tenantRoot &&
    segs.length > 1 &&
    segs[1] !== grant.tenant
  );
}

/**
 * Whether every topic of `pattern` lies in another tenant (so the guard refuses all of them), or
 * only some may (so events must be filtered).
 */
function tenantExposure(grant: TopicGrant, pattern: TopicPattern): 'none' | 'some' | 'all' {
  if (grant.tenant === undefined || grant.tenantRoot === false) return 'none';
  const s = pattern.segments;
  const first = s[0];
  if (first === '**') return 'some';
  if (first !== '*' && first !== grant.tenantRoot) return 'none';
  const second = s[1];
  if (second === undefined) return 'none';
  if (second === '*' || second === '**') return 'some';
  if (second === grant.tenant) return 'none';
  return first === '*' ? 'some' : 'all';
}

/** Whether the grant lets its holder read `topic`. */
export function grantCanRead(grant: TopicGrant, topic: string): boolean {
  const segs = topic.split('/');
  if (foreignTenant(grant, segs)) return false;
  for (const g of grant.subscribe) if (g.matchesSegments(segs)) return true;
  return false;
}

/** Whether the grant lets its holder publish to `topic`. */
export function grantCanPublish(grant: TopicGrant, topic: string): boolean {
  const segs = topic.split('/');
  if (foreignTenant(grant, segs)) return false;
  for (const g of grant.publish) if (g.matchesSegments(segs)) return true;
  return false;
}

/** Whether the grant lets its holder call the command `name` (dot-separated, as `job.pause`). */
export function grantCanCommand(grant: TopicGrant, name: string): boolean {
  const segs = name.split('.');
  for (const g of grant.commands ?? []) if (g.matchesSegments(segs)) return true;
  return false;
}

/**
 * Expands a `commands` claim: command-name patterns such as `job.*` or `tenant.{tenant}.**`, whose
 * segments are separated by `.`; `*` stands for one segment and a trailing `**` for any number.
 * @returns the compiled patterns (held with `/` separators), or a sentence naming the first
 *   unusable one.
 */
export function expandCommandGrant(raw: unknown, values: PlaceholderValues): TopicPattern[] | string {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.some((p) => typeof p !== 'string')) {
    return 'A commands grant must be a list of command-name patterns such as ["job.*"].';
  }
  for (const p of raw as string[]) {
    // A "/" inside a command pattern would be read as a separator once converted.
    if (p.includes('/'))
      return `The command pattern "${p}" contains "/"; command names use "." between segments.`;
  }
  return expandGrantList(
    (raw as string[]).map((p) => p.replaceAll('.', '/')),
    values,
  );
}

/** The outcome of checking a subscription against a grant. */
export interface SubscriptionCheck {
  /** Requested topics and patterns the grant does not allow at all (the request is refused). */
  readonly denied: readonly string[];
  /**
   * The per-event filter, or undefined when every requested pattern lies inside the grant and no
   * event can need filtering.
   */
  readonly canRead: ((topic: string) => boolean) | undefined;
}

/**
 * Intersects a subscription with a grant. A pattern inside a grant pattern is allowed as is; a
 * pattern that overlaps the grant only in part is allowed, and every event is then checked with
 * `canRead` (the pattern is never trusted); a topic or pattern that shares no topic with the
 * grant is denied.
 */
export function checkSubscription(grant: TopicGrant, patterns: readonly TopicPattern[]): SubscriptionCheck {
  const denied: string[] = [];
  let filter = false;
  for (const p of patterns) {
    const exposure = tenantExposure(grant, p);
    if (exposure === 'all') {
      denied.push(p.source);
      continue;
    }
    if (exposure === 'some') filter = true;
    if (grant.subscribe.some((g) => patternCovers(g.source, p.source))) continue;
    if (p.wildcard && grant.subscribe.some((g) => patternsIntersect(g, p))) {
      filter = true;
      continue;
    }
    denied.push(p.source);
  }
  return { denied, canRead: filter ? (topic) => grantCanRead(grant, topic) : undefined };
}
