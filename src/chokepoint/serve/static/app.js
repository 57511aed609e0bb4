// chokepoint web map: vanilla JavaScript, no libraries, talks only to this server's /api.
(function () {
  'use strict';
  var closed = new Map();          // id -> kind ("link" | "node" | "group")
  var net = null, seq = 0, timer = null;
  var $ = function (id) { return document.getElementById(id); };
  var svg = document.querySelector('svg.network-map');

  function fmt(v, d) {
    if (v === null || v === undefined || Number.isNaN(v)) return '—';
    if (v === Infinity) return 'unlimited';
    return Number(v).toLocaleString('en-GB', {maximumFractionDigits: d === undefined ? 1 : d});
  }
  function text(id, s) { $(id).textContent = s; }
  function names(list) { return (list || []).map(function (c) { return c.name; }).join('; ') || '—'; }

  function colour(v) {
    if (v === null || v === undefined || !isFinite(v)) return '#9e9e9e';
    var r = net.ramp, x = Math.min(Math.max(v, 0), 1);
    for (var i = 1; i < r.length; i++) {
      if (x <= r[i][0]) {
        var t = (x - r[i - 1][0]) / (r[i][0] - r[i - 1][0]);
        var a = r[i - 1][1], b = r[i][1], out = '#';
        for (var k = 1; k < 7; k += 2) {
          var c = Math.round(parseInt(a.substr(k, 2), 16) * (1 - t) + parseInt(b.substr(k, 2), 16) * t);
          out += ('0' + c.toString(16)).slice(-2);
        }
        return out;
      }
    }
    return r[r.length - 1][1];
  }

  function markClosed() {
    svg.querySelectorAll('[data-id]').forEach(function (g) {
      var id = g.getAttribute('data-id'), grp = g.getAttribute('data-group');
      var on = closed.has(id) || (grp && closed.get(grp) === 'group');
      g.classList.toggle('closed', !!on);
    });
    var list = $('closed-list');
    list.textContent = '';
    if (!closed.size) { list.textContent = 'nothing closed'; }
    closed.forEach(function (kind, id) {
      var s = document.createElement('span'); s.textContent = kind + ' ' + id; list.appendChild(s);
    });
    document.querySelectorAll('#groups input').forEach(function (cb) {
      cb.checked = closed.get(cb.value) === 'group';
    });
  }

  function terminals(body) {
    if (!net) return body;
    var a = $('source').value, b = $('sink').value;
    if (a && b && a !== b && !(net.sources.length === 1 && net.sinks.length === 1 && a === net.sources[0] && b === net.sinks[0])) {
      body.sources = [a]; body.sinks = [b];
    }
    return body;
  }
  function short(via) {
    return via.length <= 6 ? via.join(' → ') : via.slice(0, 3).join(' → ') + ' → … (' + (via.length - 5) + ' more) → ' + via.slice(-2).join(' → ');
  }

  function query() {
    var q = 'close=' + encodeURIComponent(Array.from(closed.keys()).join(','));
    if ($('start').value && $('end').value) q += '&start=' + $('start').value + '&end=' + $('end').value;
    return q;
  }

  function show(r) {
    var u = r.unit;
    if (r.throughput) {
      var a = r.throughput.intact[u], b = r.throughput.closed[u];
      text('throughput', closed.size ? fmt(a) + ' → ' + fmt(b) + ' ' + u : fmt(a) + ' ' + u);
      $('throughput').classList.toggle('changed', a !== b);
      text('terminals', '(' + r.throughput.source_names.join(' + ') + ' → ' + r.throughput.sink_names.join(' + ') + ')');
      text('bottleneck', names(r.bottleneck.closed));
    } else { text('throughput', '— (no flow terminals)'); text('bottleneck', '—'); }
    if (r.served) {
      var sa = r.served.intact[u], sb = r.served.closed[u];
      text('served', (closed.size ? fmt(sa) + ' → ' + fmt(sb) : fmt(sa)) + ' of ' + fmt(r.served.demand[u]) + ' ' + u);
      $('served').classList.toggle('changed', sa !== sb);
    } else { text('served', '—'); }
    if (r.detour) {
      var d0 = r.detour.intact, d1 = r.detour.closed, s = fmt(d0.time_days) + ' days';
      if (closed.size) {
        s = d1.found ? s + ' → ' + fmt(d1.time_days) + ' days (+' + fmt(r.detour.extra_h, 0) + ' h) via ' + short(d1.via)
                     : s + ' → no route remains';
      } else { s += ' via ' + short(d0.via); }
      text('detour', s);
      $('detour').title = (d1 && d1.found ? d1.via : d0.via).join(' → ');
    } else { text('detour', '—'); }
    if (r.period) {
      var parts = [];
      ['throughput', 'served'].forEach(function (k) {
        if (!r.period[k]) return;
        parts.push(k + ': ' + Object.keys(r.period[k]).map(function (q) { return fmt(r.period[k][q], 0) + ' ' + q; }).join(' = '));
      });
      text('period', r.period.days + ' days; ' + parts.join('; '));
    } else { text('period', '— (choose dates)'); }
    $('campaign-row').hidden = !r.campaign;
    if (r.campaign) {
      var c = r.campaign;
      if (c.error) { text('campaign', c.error); }
      else {
        var day = function (iso) { return iso ? iso.slice(0, 10) : 'never'; };
        text('campaign', 'last delivery ' + day(c.completion_undisrupted) + ' → ' + day(c.completion) +
             '; mean delay ' + fmt(c.mean_delay_h) + ' h, max ' + fmt(c.max_delay_h) + ' h; ' +
             fmt(c.delayed_containers, 0) + ' of ' + fmt(c.containers, 0) + ' containers delayed, ' +
             fmt(c.undelivered, 0) + ' undelivered');
      }
    }
    var util = r.utilisation || {};
    var cut = new Set((r.bottleneck && r.bottleneck.closed || []).map(function (c) { return c.id; }));
    svg.querySelectorAll('g.link').forEach(function (g) {
      var id = g.getAttribute('data-id'), line = g.querySelector('line.stroke');
      if (line && id in util) line.setAttribute('stroke', colour(util[id]));
      g.classList.toggle('newcut', cut.has(id));
    });
    $('dl-csv').href = '/api/results.csv?' + query();
    $('dl-json').href = '/api/results.json?' + query();
  }

  function update() {
    var mine = ++seq, body = terminals({elements: Array.from(closed, function (e) { return {id: e[0], kind: e[1]}; })});
    if ($('start').value && $('end').value) { body.start = $('start').value; body.end = $('end').value; }
    text('status', 'computing…'); $('status').className = 'muted';
    fetch('/api/close', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
      .then(function (resp) { return resp.json().then(function (j) { return [resp.ok, j]; }); })
      .then(function (x) {
        if (mine !== seq) return;
        if (!x[0]) { text('status', x[1].error || 'error'); $('status').className = 'error'; return; }
        show(x[1]);
        text('status', 'updated (' + fmt(x[1].elapsed_ms, 0) + ' ms)');
        document.body.setAttribute('data-updates', String(mine));
      })
      .catch(function (e) { text('status', 'request failed: ' + e); $('status').className = 'error'; });
  }
  function soon() { clearTimeout(timer); timer = setTimeout(update, 120); }

  function toggle(id, kind) {
    if (closed.has(id)) closed.delete(id); else closed.set(id, kind);
    markClosed(); soon();
  }

  svg.addEventListener('click', function (ev) {
    var g = ev.target.closest('[data-id]');
    if (!g) return;
    var grp = g.getAttribute('data-group');
    if ($('by-group').checked && grp) toggle(grp, 'group');
    else toggle(g.getAttribute('data-id'), g.getAttribute('data-kind'));
  });
  svg.addEventListener('mouseover', function (ev) {
    var g = ev.target.closest('[data-id]'), t = g && g.querySelector('title');
    if (t) text('hover', t.textContent);
  });
  $('apply').addEventListener('click', update);
  $('clear').addEventListener('click', function () { closed.clear(); markClosed(); update(); });
  $('start').addEventListener('change', soon);
  $('end').addEventListener('change', soon);
  $('reset').addEventListener('click', function () {
    fetch('/api/reset', {method: 'POST'}).then(function () { location.reload(); });
  });
  $('upload-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = $('upload-file').files[0];
    if (!f) { text('upload-status', 'choose a file first'); return; }
    var fd = new FormData(); fd.append('file', f);
    text('upload-status', 'uploading…');
    fetch('/api/upload', {method: 'POST', body: fd})
      .then(function (resp) { return resp.json().then(function (j) { return [resp.ok, j]; }); })
      .then(function (x) {
        if (!x[0]) { text('upload-status', x[1].error || 'upload failed'); $('upload-status').className = 'error'; return; }
        location.reload();
      });
  });

  fetch('/api/network').then(function (r) { return r.json(); }).then(function (j) {
    net = j;
    ['source', 'sink'].forEach(function (which) {
      var sel = $(which), pick = (which === 'source' ? j.sources : j.sinks)[0];
      var none = document.createElement('option'); none.value = ''; none.textContent = '(scenario default)';
      sel.appendChild(none);
      j.nodes.forEach(function (n) {
        var o = document.createElement('option'); o.value = n.id; o.textContent = n.name || n.id;
        if (n.id === pick) o.selected = true;
        sel.appendChild(o);
      });
      sel.addEventListener('change', soon);
    });
    var box = $('groups');
    j.groups.filter(function (g) { return g.structure || g.members.length > 1; }).forEach(function (g) {
      var l = document.createElement('label'), cb = document.createElement('input');
      cb.type = 'checkbox'; cb.value = g.id;
      cb.addEventListener('change', function () { toggle(g.id, 'group'); });
      l.appendChild(cb); l.appendChild(document.createTextNode(' ' + g.id + ' (' + g.names.join(', ') + ')'));
      box.appendChild(l);
    });
    update();
  });
})();
