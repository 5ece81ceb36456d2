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
        '<span class="sz">' + bytes(e.bytes) + '</span></summary><pre>' + esc(body) + (e.truncated ? '\n…' : '') + '</pre></details>';
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
