import type { IncomingMessage } from 'node:http';
import { HubError } from '../core/errors.js';
import { ClientGoneError, type HubRequest, relativePath } from './hub-request.js';

function tooLarge(limit: number): HubError {
  return new HubError(
    413,
    'payload-too-large',
    `The request body is larger than the hub's limit of ${limit} bytes; send smaller batches or raise maxBodyBytes.`,
    { limit },
  );
}

/** Adapts a node:http request to a {@link HubRequest}. */
export function nodeRequest(
  req: IncomingMessage,
  basePath: string,
  abort: { readonly signal: AbortSignal },
): HubRequest {
  const url = new URL(req.url ?? '/', 'http://hub.invalid');
  // Outside the base path: a path no route has, so the request gets the usual 404.
  const path = relativePath(url.pathname, basePath) ?? `\0${url.pathname}`;
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    path,
    remoteAddress: req.socket.remoteAddress ?? '',
    get signal() {
      return abort.signal;
    },
    header(name) {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    text(limit) {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
      return new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const onData = (c: Buffer) => {
          size += c.length;
          if (size > limit) {
            cleanup();
            reject(tooLarge(limit));
            return;
          }
          chunks.push(c);
        };
        const onEnd = () => {
          cleanup();
          resolve(Buffer.concat(chunks, size).toString('utf8'));
        };
        // 'aborted', or 'error' with ECONNRESET: the client went away mid-body.
        const onError = () => {
          cleanup();
          reject(new ClientGoneError());
        };
        const cleanup = () => {
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('error', onError);
          req.off('aborted', onError);
        };
        req.on('data', onData);
        req.on('end', onEnd);
        req.on('error', onError);
        req.on('aborted', onError);
      });
    },
  };
}
