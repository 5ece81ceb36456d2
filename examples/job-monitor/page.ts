/**
 * The job-monitor page: one job's progress live, with Pause, Resume and Cancel buttons that send
 * hub commands, the connection status, transport and round-trip latency. Plain HTML and the
 * browser bundle of `@tidings/client` (served at `clientScript`, exposing `window.Tidings`).
 *
 * Open it as `/?job=job-1` (add `&transport=sse` or `auto` to compare transports).
 */
export function jobMonitorPage(clientScript = '/tidings.js'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Job monitor</title>
<script src="${clientScript}"></script>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem; max-width: 36rem; color: #1d2330; }
  progress { width: 100%; height: 1.25rem; }
  button { font: inherit; padding: .35rem 1rem; margin-right: .5rem; }
  .muted { color: #5b6475; font-size: .9rem; }
  #error { color: #a4262c; min-height: 1.5em; }
  [data-status="paused"] #status { color: #8a6100; }
  [data-status="cancelled"] #status { color: #a4262c; }
  [data-status="completed"] #status { color: #107c10; }
</style>
</head>
<body data-status="connecting">
<h1>Job <span id="job"></span></h1>
<progress id="bar" max="100" value="0"></progress>
<p><b id="status">connecting</b> · <span id="count">–</span> items · <span id="pct">0</span>%</p>
<p>
  <button id="pause" data-command="job.pause">Pause</button>
  <button id="resume" data-command="job.resume">Resume</button>
  <button id="cancel" data-command="job.cancel">Cancel</button>
</p>
<p id="error" role="alert"></p>
<p class="muted">Connection: <span id="conn">idle</span> over <span id="transport">–</span>,
  round trip <span id="latency">–</span> ms</p>
<script>
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const jobId = params.get('job') || 'job-1';
  $('job').textContent = jobId;
  const client = Tidings.createClient({
    url: '/events',
    topics: ['jobs/' + jobId],
    transport: params.get('transport') || 'websocket',
  });
  const job = { status: 'connecting', processed: 0, total: 0, pct: 0 };
  window.monitor = { client, job };

  function render(state) {
    if (state && state.jobId === jobId) Object.assign(job, state);
    document.body.dataset.status = job.status;
    $('status').textContent = job.status;
    $('bar').value = job.pct;
    $('pct').textContent = job.pct;
    $('count').textContent = job.processed + ' / ' + job.total;
    $('pause').disabled = job.status !== 'running';
    $('resume').disabled = job.status !== 'paused';
    $('cancel').disabled = job.status !== 'running' && job.status !== 'paused';
  }

  client.on('*', (event) => render(event.data));
  client.onState((s) => {
    $('conn').textContent = s.status;
    $('transport').textContent = client.transport;
    if (s.status === 'connected') client.command('job.status', { jobId }).then(render, showError);
  });
  setInterval(() => {
    $('latency').textContent = client.latencyMs === null ? '–' : Math.round(client.latencyMs);
  }, 1000);

  function showError(e) {
    $('error').textContent = e.message;
  }

  for (const button of document.querySelectorAll('button[data-command]')) {
    button.addEventListener('click', async () => {
      $('error').textContent = '';
      button.disabled = true;
      try {
        render(await client.command(button.dataset.command, { jobId }));
      } catch (e) {
        showError(e);
        render();
      }
    });
  }
  render();
  client.connect();
</script>
</body>
</html>
`;
}
