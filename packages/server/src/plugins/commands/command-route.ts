import { validateCommandName } from '@tidings/protocol';
import type { Authorizer } from '../../auth/authorizer.js';
import { HubError } from '../../core/errors.js';
import type { ResolvedHubOptions } from '../../core/options.js';
import type { HubRequest, HubResponse } from '../../http/hub-request.js';
import { parseJsonBody } from '../../http/parse-json-body.js';
import type { RouteParams } from '../../http/route.js';
import { admitCall } from './command-call.js';
import type { CommandRegistry } from './command-registry.js';

/** The path of {@link commandRoute}: every path under `/commands/`, the rest being the name. */
export const COMMAND_PATH = '/commands/*name';

/**
 * `POST /commands/{name}`: a command for clients without a WebSocket (the SSE transport, scripts).
 * The body is the command's arguments as JSON (empty means `null`); the answer is
 * `200 {"result": …}`, or the error a WebSocket client would get in its `nack`, with an HTTP status
 * (`404 unknown-command`, `403 forbidden`, `504 timeout`, `500 command-failed`, or a
 * `CommandError`'s own). Credentials are checked before the body is read.
 */
export async function commandRoute(
  req: HubRequest,
  params: RouteParams,
  registry: CommandRegistry,
  authorizer: Authorizer,
  options: ResolvedHubOptions,
): Promise<HubResponse> {
  const name = params.name ?? '';
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
  const call = await admitCall(registry, authorizer, req, name);
  if (!call.ok) throw new HubError(call.status, call.error.code, call.error.message, { command: name });
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
    { principal: call.principal, user: call.principal.user, transport: 'http', connectionId: undefined },
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
}
