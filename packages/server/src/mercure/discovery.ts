/** Options of {@link mercureLink}. */
export interface MercureLinkOptions {
  /**
   * The hub's id of the last update when the resource was rendered: subscribers pass it back as
   * `lastEventID`, so nothing published in between is lost (draft-dunglas-mercure-07, Discovery).
   */
  lastEventId?: string | undefined;
  /** The content type of the updates, e.g. `application/merge-patch+json`. */
  contentType?: string | undefined;
}

function quoted(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The `Link` header value that lets clients discover the hub of a resource:
 * `<https://hub.example.com/.well-known/mercure>; rel="mercure"`. Add it to your API responses
 * (with a `rel="self"` link of the topic when it differs from the resource URL).
 *
 * @example
 * ```ts
 * res.setHeader('link', mercureLink('https://example.com/.well-known/mercure'));
 * ```
 * @param hubUrl the hub's public URL, ending in `/.well-known/mercure`.
 * @throws {TypeError} when `hubUrl` is not an absolute URL or contains characters a link cannot hold.
 */
export function mercureLink(hubUrl: string, options: MercureLinkOptions = {}): string {
  const url = new URL(hubUrl).href;
  if (/[<>\s]/.test(url)) throw new TypeError(`The hub URL ${hubUrl} cannot be written in a Link header.`);
  let link = `<${url}>; rel="mercure"`;
  if (options.lastEventId !== undefined) link += `; last-event-id=${quoted(options.lastEventId)}`;
  if (options.contentType !== undefined) link += `; content-type=${quoted(options.contentType)}`;
  return link;
}
