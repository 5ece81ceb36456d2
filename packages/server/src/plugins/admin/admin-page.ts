/**
 * The admin dashboard: one self-contained HTML document (no framework, no external resource), so
 * the hub can serve it under a strict Content-Security-Policy. Its script fetches `admin/stats`
 * once, then follows `$sys/stats` over an EventSource on the same hub. URLs are relative, so it
 * works under any `basePath`.
 *
 * The script avoids template literals so it can live inside this TypeScript template string.
 */
export function adminPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark light">
<title>Tidings admin</title>
<style nonce="${nonce}">
:root {
  --bg: #0b0e14; --panel: #121722; --panel-2: #171d2a; --line: #232b3b; --text: #e6e9f0;
  --muted: #8a93a8; --faint: #5d667a; --accent: #6ea8fe; --accent-2: #3ecf8e; --warn: #f5b84a;
  --bad: #f07178; --violet: #b48cff;
  --radius: 12px; --gap: 16px;
  --mono: ui-monospace, "SF Mono", "JetBrains Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", sans-serif;
}
@media (prefers-color-scheme: light) {
  :root { --bg: #f5f7fb; --panel: #ffffff; --panel-2: #f0f3f8; --line: #e1e6ef; --text: #161b26;
    --muted: #5b6478; --faint: #98a0b3; }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 var(--sans); }
.wrap { max-width: 1280px; margin: 0 auto; padding: 20px 24px 40px; }
header { display: flex; align-items: center; gap: 14px; margin-bottom: 20px; }
.logo { width: 28px; height: 28px; border-radius: 8px; background: linear-gradient(135deg, var(--accent), var(--violet)); display: grid; place-items: center; color: #0b0e14; font-weight: 800; }
header h1 { font-size: 17px; margin: 0; font-weight: 650; letter-spacing: .2px; }
header .meta { color: var(--muted); font-size: 13px; }
header .spacer { flex: 1; }
.pill { display: inline-flex; align-items: center; gap: 7px; padding: 4px 11px; border-radius: 999px; border: 1px solid var(--line); background: var(--panel); font-size: 12.5px; color: var(--muted); }
.dot { width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
.live .dot { background: var(--accent-2); box-shadow: 0 0 0 3px rgba(62, 207, 142, .18); }
.live { color: var(--text); }
.down .dot { background: var(--warn); }
.grid { display: grid; gap: var(--gap); }
.kpis { grid-template-columns: repeat(6, minmax(0, 1fr)); }
.wrap > section + section { margin-top: var(--gap); }
.two { grid-template-columns: repeat(2, minmax(0, 1fr)); }
@media (max-width: 1000px) { .kpis { grid-template-columns: repeat(3, 1fr); } .two { grid-template-columns: 1fr; } }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 16px 18px; min-width: 0; }
.card h2 { margin: 0 0 12px; font-size: 13px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .6px; display: flex; align-items: center; gap: 10px; }
.card h2 .right { margin-left: auto; text-transform: none; letter-spacing: 0; font-weight: 500; color: var(--faint); }
.kpi .label { color: var(--muted); font-size: 12.5px; }
.kpi .value { font-size: 28px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; letter-spacing: -.5px; }
.kpi .sub { color: var(--faint); font-size: 12px; margin-top: 2px; font-variant-numeric: tabular-nums; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi.alert .value { color: var(--bad); }
.legend { display: inline-flex; gap: 14px; text-transform: none; letter-spacing: 0; font-weight: 500; }
.legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
#chart { height: 220px; }
#chart svg { display: block; }
#chart text { fill: var(--faint); font: 11px var(--sans); font-variant-numeric: tabular-nums; }
.bars { display: grid; gap: 9px; }
.bar { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 4px 12px; align-items: center; }
.bar .name { font-family: var(--mono); font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar .num { color: var(--muted); font-size: 12.5px; font-variant-numeric: tabular-nums; text-align: right; }
.track { grid-column: 1 / -1; height: 6px; border-radius: 3px; background: var(--panel-2); overflow: hidden; }
.fill { height: 100%; border-radius: 3px; background: var(--accent); }
.types .fill { background: var(--violet); }
#rejected .fill { background: var(--bad); opacity: .8; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 500; color: var(--faint); font-size: 12px; padding: 0 10px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 9px 10px; border-bottom: 1px solid var(--line); font-size: 13px; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.mono, .mono { font-family: var(--mono); font-size: 12.5px; }
td.topics { max-width: 280px; overflow: hidden; text-overflow: ellipsis; }
td.r, th.r { text-align: right; }
.tag { display: inline-block; padding: 1px 7px; border-radius: 6px; font-size: 11.5px; background: var(--panel-2); color: var(--muted); border: 1px solid var(--line); margin-left: 6px; }
.tag.warn { color: var(--warn); }
.btn { font: 12px var(--sans); color: var(--text); background: var(--panel-2); border: 1px solid var(--line); border-radius: 7px; padding: 4px 10px; cursor: pointer; }
.btn:hover { border-color: var(--bad); color: var(--bad); }
.btn + .btn { margin-left: 6px; }
.btn:disabled { opacity: .4; cursor: default; }
.empty { color: var(--faint); padding: 14px 0 4px; text-align: center; }
.events { display: grid; gap: 0; }
details { border-bottom: 1px solid var(--line); }
details:last-child { border-bottom: 0; }
summary { list-style: none; cursor: pointer; display: grid; grid-template-columns: 70px minmax(0, 1fr) auto; gap: 12px; align-items: center; padding: 8px 2px; }
summary::-webkit-details-marker { display: none; }
summary .t { color: var(--faint); font-variant-numeric: tabular-nums; font-size: 12.5px; }
summary .what { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
summary .sz { color: var(--faint); font-size: 12px; font-variant-numeric: tabular-nums; }
.type { display: inline-block; padding: 1px 8px; border-radius: 6px; font-size: 12px; font-family: var(--mono); margin-right: 8px; background: rgba(180, 140, 255, .14); color: var(--violet); }
pre { margin: 0 0 10px; padding: 10px 12px; background: var(--panel-2); border-radius: 8px; font: 12px/1.5 var(--mono); white-space: pre-wrap; word-break: break-all; max-height: 200px; overflow: auto; color: var(--muted); }
.scroll { overflow-x: auto; }
#toast { position: fixed; right: 24px; bottom: 24px; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px; font-size: 13px; opacity: 0; transform: translateY(8px); transition: all .2s; pointer-events: none; }
#toast.show { opacity: 1; transform: none; }
.sub2 { margin-top: 20px !important; }
.foot { color: var(--faint); font-size: 12px; margin-top: 18px; text-align: center; }
</style>
</head>
<body>
<div class="wrap">
  <header>
    <div class="logo">T</div>
    <div><h1>Tidings</h1><div class="meta" id="meta">connecting…</div></div>
    <div class="spacer"></div>
    <span class="pill" id="status"><span class="dot"></span><span id="status-text">connecting</span></span>
  </header>

  <section class="grid kpis">
    <div class="card kpi"><div class="label">Connections</div><div class="value" id="kpi-connections" data-testid="connections">–</div><div class="sub" id="kpi-connections-sub">&nbsp;</div></div>
    <div class="card kpi"><div class="label">Subscriptions</div><div class="value" id="kpi-subs">–</div><div class="sub" id="kpi-subs-sub">&nbsp;</div></div>
    <div class="card kpi"><div class="label">Published / s</div><div class="value" id="kpi-pub" data-testid="published-rate">–</div><div class="sub" id="kpi-pub-sub">&nbsp;</div></div>
    <div class="card kpi"><div class="label">Delivered / s</div><div class="value" id="kpi-del">–</div><div class="sub" id="kpi-del-sub">&nbsp;</div></div>
    <div class="card kpi" id="kpi-slow-card"><div class="label">Slow consumers</div><div class="value" id="kpi-slow">–</div><div class="sub" id="kpi-slow-sub">&nbsp;</div></div>
    <div class="card kpi"><div class="label">Event loop p99</div><div class="value" id="kpi-lag">–</div><div class="sub" id="kpi-lag-sub">&nbsp;</div></div>
  </section>

  <section class="card">
    <h2>Events per second <span class="legend"><span><i style-id="pub"></i>published</span><span><i style-id="del"></i>delivered</span></span><span class="right" id="chart-range"></span></h2>
    <div id="chart" data-testid="chart"></div>
  </section>

  <section class="grid two">
    <div class="card"><h2>Event types <span class="right" id="types-total"></span></h2><div class="bars types" id="types"></div></div>
    <div class="card"><h2>Top topics <span class="right" id="topics-total"></span></h2><div class="bars" id="topics"></div></div>
  </section>

  <section class="card" style-id="conn-card">
    <h2>Connections <span class="right" id="conns-note"></span></h2>
    <div class="scroll"><table>
      <thead><tr><th>Connection</th><th>User</th><th>Topics</th><th>Remote</th><th class="r">Age</th><th class="r">Events</th><th class="r">Sent</th><th class="r">Buffered</th><th></th></tr></thead>
      <tbody id="conns" data-testid="connections-table"></tbody>
    </table></div>
  </section>

  <section class="grid two">
    <div class="card"><h2>Recent events <span class="right">click to expand</span></h2><div class="events" id="recent"></div></div>
    <div class="card"><h2>Slow consumers <span class="right">dropped for not reading</span></h2><div id="slow"></div>
      <h2 class="sub2">Refused requests</h2><div class="bars" id="rejected"></div></div>
  </section>
  <div class="foot" id="foot"></div>
</div>
<div id="toast"></div>
<script nonce="${nonce}">
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var state = null;
  var openEvents = {};
  var COLORS = { pub: '#6ea8fe', del: '#3ecf8e' };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function num(n) {
    if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
    if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
    if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
    if (n > 0 && n < 10 && n % 1) return n.toFixed(1);
    return String(Math.round(n));
  }
  function bytes(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MiB';
    if (n >= 1024) return (n / 1024).toFixed(1) + ' KiB';
    return n + ' B';
  }
  function age(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    var h = Math.floor(m / 60);
    return h + 'h ' + (m % 60) + 'm';
  }
  function clock(iso) { return iso.slice(11, 19); }
  function setText(id, t) { var el = $(id); if (el.textContent !== t) el.textContent = t; }
  function applyWidths(root) {
    root.querySelectorAll('[data-w]').forEach(function (el) { el.style.width = el.getAttribute('data-w') + '%'; });
  }

  function bars(id, rows, total) {
    var el = $(id);
    if (!rows.length) { el.innerHTML = '<div class="empty">Nothing published yet</div>'; return; }
    var max = rows[0].count || 1;
    el.innerHTML = rows.slice(0, 8).map(function (r) {
      var pct = total ? Math.round((r.count / total) * 100) : 0;
      return '<div class="bar"><div class="name" title="' + esc(r.name) + '">' + esc(r.name) + '</div>' +
        '<div class="num">' + num(r.count) + (total ? ' · ' + pct + '%' : '') + '</div>' +
        '<div class="track"><div class="fill" data-w="' + Math.max(1.5, (r.count / max) * 100).toFixed(1) + '"></div></div></div>';
    }).join('');
    applyWidths(el);
  }

  // The top of the y axis: four gridline steps, each a round number (1, 2, 2.5 or 5 × 10^n).
  function niceMax(v) {
    var step = Math.max(1, v / 4);
    var p = Math.pow(10, Math.floor(Math.log10(step)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= step) return 4 * steps[i] * p;
    return 40 * p;
  }

  function chart(series) {
    var el = $('chart');
    var w = el.clientWidth || 800, h = el.clientHeight || 220;
    var padL = 44, padR = 8, padT = 10, padB = 24;
    // The last entry is the second in progress: drawing it would show a dip that is not there.
    var pub = series.published.slice(0, -1), del = series.delivered.slice(0, -1);
    var n = pub.length;
    var top = niceMax(Math.max.apply(null, pub.concat(del, [1])));
    var x = function (i) { return padL + (i / (n - 1)) * (w - padL - padR); };
    var y = function (v) { return padT + (1 - v / top) * (h - padT - padB); };
    var svg = '<svg width="' + w + '" height="' + h + '" viewBox="0 0 ' + w + ' ' + h + '" role="img" aria-label="Events per second">';
    svg += '<defs><linearGradient id="gd" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="' + COLORS.del + '" stop-opacity=".28"/><stop offset="1" stop-color="' + COLORS.del + '" stop-opacity="0"/></linearGradient>' +
      '<linearGradient id="gp" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="' + COLORS.pub + '" stop-opacity=".22"/><stop offset="1" stop-color="' + COLORS.pub + '" stop-opacity="0"/></linearGradient></defs>';
    for (var g = 0; g <= 4; g++) {
      var v = (top / 4) * g, yy = Math.round(y(v)) + 0.5;
      svg += '<line x1="' + padL + '" x2="' + (w - padR) + '" y1="' + yy + '" y2="' + yy + '" stroke="currentColor" stroke-opacity="' + (g ? 0.08 : 0.18) + '"/>';
      svg += '<text x="' + (padL - 8) + '" y="' + (yy + 4) + '" text-anchor="end">' + num(v) + '</text>';
    }
    var step = n <= 30 ? 5 : n <= 60 ? 10 : n <= 180 ? 30 : 60;
    for (var k = 0; k * step < n; k++) {
      var i = n - 1 - k * step, ago = k * step;
      if (k > 0 && x(i) < padL + 16) break;
      var label = k === 0 ? 'now' : '−' + (ago >= 60 && ago % 60 === 0 ? ago / 60 + 'm' : ago + 's');
      svg += '<text x="' + x(i) + '" y="' + (h - 6) + '" text-anchor="' + (k === 0 ? 'end' : 'middle') + '">' + label + '</text>';
    }
    function path(a) {
      var d = '';
      for (var i = 0; i < n; i++) d += (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(a[i]).toFixed(1);
      return d;
    }
    var base = y(0).toFixed(1);
    svg += '<path d="' + path(del) + 'L' + x(n - 1).toFixed(1) + ' ' + base + 'L' + x(0).toFixed(1) + ' ' + base + 'Z" fill="url(#gd)"/>';
    svg += '<path d="' + path(del) + '" fill="none" stroke="' + COLORS.del + '" stroke-width="1.6" stroke-linejoin="round"/>';
    svg += '<path d="' + path(pub) + 'L' + x(n - 1).toFixed(1) + ' ' + base + 'L' + x(0).toFixed(1) + ' ' + base + 'Z" fill="url(#gp)"/>';
    svg += '<path d="' + path(pub) + '" fill="none" stroke="' + COLORS.pub + '" stroke-width="1.8" stroke-linejoin="round"/>';
    svg += '<circle cx="' + x(n - 1) + '" cy="' + y(pub[n - 1]) + '" r="3" fill="' + COLORS.pub + '"/>';
    svg += '</svg>';
    el.innerHTML = svg;
  }

  function conns(c) {
    var now = Date.now();
    var body = $('conns');
    if (!c.list.length) { body.innerHTML = '<tr><td colspan="9" class="empty">No open connections</td></tr>'; return; }
    body.innerHTML = c.list.map(function (r) {
      var user = r.user ? esc(r.user) : '<span class="tag">anonymous</span>';
      var warn = r.bufferedBytes > 65536 ? ' tag warn' : '';
      return '<tr data-conn="' + esc(r.id) + '">' +
        '<td class="mono">' + esc(r.id) + (r.sys ? '<span class="tag">admin</span>' : '') +
          (r.transport === 'websocket' ? '<span class="tag" title="WebSocket">ws</span>' : '') + '</td>' +
        '<td>' + user + '</td>' +
        '<td class="mono topics" title="' + esc(r.topics.join(' ')) + '">' + esc(r.topics.join(', ')) + '</td>' +
        '<td class="mono">' + esc(r.remoteAddress) + '</td>' +
        '<td class="r">' + age(now - Date.parse(r.openedAt)) + '</td>' +
        '<td class="r">' + num(r.eventsSent) + '</td>' +
        '<td class="r">' + bytes(r.bytesSent) + '</td>' +
        '<td class="r"><span class="' + warn + '">' + bytes(r.bufferedBytes) + '</span></td>' +
        '<td class="r"><button class="btn" data-action="conn" data-id="' + esc(r.id) + '">Disconnect</button>' +
        (r.user ? '<button class="btn" data-action="user" data-id="' + esc(r.user) + '">Disconnect user</button>' : '') + '</td></tr>';
    }).join('');
  }

  function recent(list) {
    var el = $('recent');
    if (!list.length) { el.innerHTML = '<div class="empty">No events yet</div>'; return; }
    el.innerHTML = list.slice(0, 10).map(function (e) {
      var body = e.preview;
      try { if (!e.truncated) body = JSON.stringify(JSON.parse(e.preview), null, 2); } catch (x) {}
      return '<details data-id="' + esc(e.id) + '"' + (openEvents[e.id] ? ' open' : '') + '><summary><span class="t">' + clock(e.time) + '</span>' +
        '<span class="what"><span class="type">' + esc(e.type) + '</span><span class="mono">' + esc(e.topic) + '</span></span>' +
        '<span class="sz">' + bytes(e.bytes) + '</span></summary><pre>' + esc(body) + (e.truncated ? '\\n…' : '') + '</pre></details>';
    }).join('');
  }

  function slow(list) {
    var el = $('slow');
    if (!list.length) { el.innerHTML = '<div class="empty">None — every subscriber keeps up</div>'; return; }
    el.innerHTML = '<table><thead><tr><th>When</th><th>Connection</th><th>User</th><th class="r">Buffered</th></tr></thead><tbody>' +
      list.slice(0, 8).map(function (s) {
        return '<tr><td>' + clock(s.time) + '</td><td class="mono">' + esc(s.id) + '</td><td>' + esc(s.user || '–') + '</td><td class="r">' + bytes(s.bufferedBytes) + '</td></tr>';
      }).join('') + '</tbody></table>';
  }

  var renders = 0;
  function render(s) {
    state = s;
    document.body.setAttribute('data-renders', String(++renders));
    var a = s.activity, c = s.connections;
    var where = s.workers && s.workers.length > 0 ? s.workers.length + ' workers (' + s.workers.join(', ') + ')' : 'node ' + s.node;
    setText('meta', where + ' · ' + s.store + ' store · ' + s.broker + ' broker · up ' + age(s.uptimeS * 1000));
    setText('kpi-connections', num(c.open - c.sys));
    setText('kpi-connections-sub', (c.sys ? '+' + c.sys + ' admin · ' : '') + num(a.totals.connectionsOpened) + ' opened');
    setText('kpi-subs', num(c.subscriptions));
    setText('kpi-subs-sub', bytes(c.bufferedBytes) + ' buffered');
    setText('kpi-pub', num(a.publishedPerSecond));
    setText('kpi-pub-sub', num(a.totals.published) + ' total');
    $('kpi-pub').setAttribute('data-total', String(a.totals.published));
    setText('kpi-del', num(a.deliveredPerSecond));
    setText('kpi-del-sub', num(a.totals.delivered) + ' total · ' + num(a.totals.replayed) + ' replayed');
    setText('kpi-slow', num(a.totals.slowConsumers));
    setText('kpi-slow-sub', num(a.totals.resets) + ' resets · ' + num(a.totals.errors) + ' errors');
    $('kpi-slow-card').classList.toggle('alert', a.totals.slowConsumers > 0);
    setText('kpi-lag', s.process.eventLoopLagP99Ms.toFixed(1) + ' ms');
    setText('kpi-lag-sub', bytes(s.process.heapUsedBytes) + ' heap · ' + bytes(s.process.memoryUsedBytes) + ' of ' + bytes(s.process.memoryBudgetBytes) + ' budget' + (s.process.memoryShed ? ' · ' + num(s.process.memoryShed) + ' shed' : ''));
    chart(a.series);
    var span = a.series.published.length;
    setText('chart-range', span >= 120 ? 'last ' + Math.round(span / 60) + ' minutes' : 'last ' + span + ' seconds');
    var typeTotal = a.types.reduce(function (t, r) { return t + r.count; }, 0);
    bars('types', a.types, a.totals.published);
    setText('types-total', a.types.length ? num(typeTotal) + ' events' : '');
    bars('topics', a.topics, a.totals.published);
    setText('topics-total', a.topics.length ? 'by events published' : '');
    conns(c);
    setText('conns-note', c.truncated ? 'showing ' + c.list.length + ' of ' + c.open + ', fullest queues first' : c.open + ' open');
    recent(a.recent);
    slow(a.slowConsumers);
    bars('rejected', a.rejectedByCode, 0);
    if (!a.rejectedByCode.length) $('rejected').innerHTML = '<div class="empty">None</div>';
    setText('foot', 'Updated ' + clock(s.time) + ' UTC · figures of this node only');
  }

  function status(live, text) {
    var el = $('status');
    el.classList.toggle('live', live);
    el.classList.toggle('down', !live);
    setText('status-text', text);
  }

  var toastTimer;
  function toast(msg) {
    var t = $('toast');
    t.textContent = msg;
    t.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.classList.remove('show'); }, 2600);
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target.closest && ev.target.closest('button[data-action]');
    if (!b) return;
    var body = b.getAttribute('data-action') === 'user' ? { user: b.getAttribute('data-id') } : { connection: b.getAttribute('data-id') };
    b.disabled = true;
    fetch('admin/disconnect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (r) {
        toast(r.ok ? 'Disconnected ' + r.j.disconnected.length + ' connection' + (r.j.disconnected.length === 1 ? '' : 's') : r.j.error.message);
        return refresh();
      })
      .catch(function () { toast('The hub did not answer; try again.'); b.disabled = false; });
  });
  // Recorded at the click, not only at 'toggle': that event is queued, and a live render in
  // between detaches the element, so it never reaches this document.
  document.addEventListener('click', function (ev) {
    var sum = ev.target.closest && ev.target.closest('#recent summary');
    var d = sum && sum.parentElement;
    if (d && d.tagName === 'DETAILS') { if (!d.open) openEvents[d.getAttribute('data-id')] = true; else delete openEvents[d.getAttribute('data-id')]; }
  }, true);
  document.addEventListener('toggle', function (ev) {
    var d = ev.target;
    if (d.tagName === 'DETAILS') { if (d.open) openEvents[d.getAttribute('data-id')] = true; else delete openEvents[d.getAttribute('data-id')]; }
  }, true);
  window.addEventListener('resize', function () { if (state) chart(state.activity.series); });

  function refresh() {
    return fetch('admin/stats', { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error('status ' + r.status);
      return r.json();
    }).then(render);
  }

  document.querySelectorAll('[style-id]').forEach(function (el) {
    var k = el.getAttribute('style-id');
    if (COLORS[k]) el.style.background = COLORS[k];
  });

  refresh().catch(function () { status(false, 'no access'); });
  var es = new EventSource('events?topic=' + encodeURIComponent('$sys/stats'));
  es.onopen = function () { status(true, 'live'); };
  es.onerror = function () { status(false, 'reconnecting'); };
  es.addEventListener('stats', function (m) { render(JSON.parse(m.data).data); });
})();
</script>
</body>
</html>
`;
}
