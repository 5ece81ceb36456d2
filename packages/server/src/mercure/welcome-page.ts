/** Escapes text for HTML. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The small page `GET /` answers with when the Mercure face is on (browsers and tools probe it). */
export function welcomePage(basePath: string): string {
  const hub = esc(`${basePath}/.well-known/mercure`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Tidings hub</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}</style>
</head><body>
<h1>Tidings hub</h1>
<p>This is a Tidings real-time hub. It speaks the Mercure protocol at <code>${hub}</code>:</p>
<ul>
<li>subscribe: <code>GET ${hub}?topic=https://example.com/books/{id}</code> (Server-Sent Events)</li>
<li>publish: <code>POST ${hub}</code> with a form-encoded update and a publisher JWT</li>
</ul>
<p>Health: <code>${esc(basePath)}/healthz</code></p>
</body></html>
`;
}
