import { EXIT } from './usage-error.js';

/** A request to the hub failed; carries the exit code to use. */
export class HubRequestError extends Error {
  override name = 'HubRequestError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Joins the hub base URL and an endpoint path, keeping any base path. */
export function endpoint(base: URL, path: string): URL {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  u.search = '';
  return u;
}

/** Turns a fetch failure into a sentence naming the hub's address. */
export function unreachable(url: URL, err: unknown): HubRequestError {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return new HubRequestError(
    `Cannot reach the hub at ${url.origin} (${cause}). Is "tidings serve" running there? Pass --url to point elsewhere.`,
    EXIT.unreachable,
  );
}

/** Reads the hub's JSON error body into one sentence. */
export async function hubErrorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string } };
    if (body.error?.message)
      return `The hub answered ${res.status} (${body.error.code}): ${body.error.message}`;
  } catch {
    // not JSON
  }
  return `The hub answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
}
