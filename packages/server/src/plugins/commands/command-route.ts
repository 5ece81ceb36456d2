import { validateCommandName } from '@tidings/protocol';
import type { Authorizer } from '../../auth/authorizer.js';
import { HubError } from '../../core/errors.js';
import type { ResolvedHubOptions } from '../../core/options.js';
import { parseJsonBody } from '../../http/parse-json-body.js';
import type { Middleware } from '../../hub.js';
import type { CommandRegistry } from './command-registry.js';

const PREFIX = '/commands/';

/**
 * `POST /commands/{name}`: a command for clients without a WebSocket (the SSE transport, scripts).
 * The body is the command's arguments as JSON (empty means `null`); the answer is
 * `200 {"result": …}`, or the error a WebSocket client would get in its `nack`, with an HTTP status
 * (`404 unknown-command`, `403 forbidden`, `504 timeout`, `500 command-failed`, or a
 * `CommandError`'s own). Credentials are checked before the body is read.
 */
export function commandRoute(
  registry: CommandRegistry,
  authorizer: Authorizer,
  options: ResolvedHubOptions,
): Middleware {
  return async (req, next) => {
    if (!req.path.startsWith(PREFIX)) return next();
    if (req.method !== 'POST') {
      throw new HubError(
        405,
        'method-not-allowed',
        `${req.path} accepts POST, not ${req.method}.`,
        undefined,
        { allow: 'POST' },
      );
    }
    const name = req.path.slice(PREFIX.length);
    const bad = validateCommandName(name);
    if (bad) throw new HubError(400, 'bad-request', bad);
    const ctype = req.header('content-type');
    if (ctype && !/^application\/([\w.+-]*\+)?json\b/i.test(ctype)) {
      throw new HubError(
        415,
        'unsupported-media-type',
        `POST /commands/${name} takes the arguments as application/json, not ${ctype.split(';')[0]}.`,
      );
    }
    const principal = await (authorizer.authorizeCommand as NonNullable<Authorizer['authorizeCommand']>)(
      req,
      name,
    );
    if (!registry.has(name)) {
      const u = registry.unknown(name);
      if (!u.ok) throw new HubError(u.status, u.error.code, u.error.message, { command: name });
    }
    const text = await req.text(options.maxCommandBytes);
    let args: unknown = null;
    if (text.trim() !== '') {
      args = parseJsonBody(text, {
        maxDepth: options.maxJsonDepth,
        hint: `Send the arguments of POST /commands/${name} as one JSON value.`,
      });
    }
    const outcome = await registry.run(
      name,
      args,
      { principal, user: principal.user, transport: 'http', connectionId: undefined },
      req.signal,
    );
    if (!outcome.ok) {
      const { code, message, ...detail } = outcome.error;
      throw new HubError(outcome.status, code, message, detail);
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: `{"result":${outcome.resultJson}}`,
    };
  };
}
