import { HubError } from '../core/errors.js';
import { ClientGoneError, type HubRequest, relativePath } from './hub-request.js';

/** Adapts a Web `Request` to a {@link HubRequest}. */
export function webRequest(request: Request, basePath: string, remoteAddress = ''): HubRequest {
  const url = new URL(request.url);
  // Outside the base path: a path no route has, so the request gets the usual 404.
  const path = relativePath(url.pathname, basePath) ?? `\0${url.pathname}`;
  return {
    method: request.method.toUpperCase(),
    url,
    path,
    remoteAddress,
    signal: request.signal,
    header: (name) => request.headers.get(name) ?? undefined,
    async text(limit) {
      const declared = Number(request.headers.get('content-length'));
      const err = () =>
        new HubError(
          413,
          'payload-too-large',
          `The request body is larger than the hub's limit of ${limit} bytes; send smaller batches or raise maxBodyBytes.`,
          { limit },
        );
      if (Number.isFinite(declared) && declared > limit) throw err();
      if (!request.body) return '';
      const reader = request.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (request.signal?.aborted) throw new ClientGoneError();
          throw e;
        }
        const { done, value } = chunk;
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
          await reader.cancel();
          throw err();
        }
        chunks.push(value);
      }
      return Buffer.concat(chunks, size).toString('utf8');
    },
  };
}
