// chokepoint web map: vanilla JavaScript, no libraries, talks only to this server's /api.
// Pan and zoom move the SVG's viewBox; clicks are hit-tested geometrically, links first,
// with a pick-list where several elements lie under the pointer.
(function () {
  'use strict';
  var closed = new Map();          // id -> kind ("link" | "node" | "group")
  var net = null, seq = 0, timer = null;
  var $ = function (id) { return document.getElementById(id); };
  var svg = document.querySelector('svg.network-map');
  var LINK_TOL = 6, NODE_TOL = 8, MAX_ZOOM = 64;

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

  // -- what a click does to an element -------------------------------------------------------
  function target(g) {          // [id, kind] a click on g toggles
    var grp = g.getAttribute('data-group');
    if ($('by-group').checked && grp) return [grp, 'group'];
    return [g.getAttribute('data-id'), g.getAttribute('data-kind')];
  }
  function isClosed(g) {
    var id = g.getAttribute('data-id'), grp = g.getAttribute('data-group');
    return closed.has(id) || (!!grp && closed.get(grp) === 'group');
  }
  function label(g) {
    var t = g.querySelector('title');
    return (t ? (t.getAttribute('data-base') || t.textContent) : g.getAttribute('data-id')).split('\n')[0];
  }
  function stateLine(g) {
    var t = target(g);
    if (isClosed(g)) return 'closed — click to reopen' + (t[1] === 'group' ? ' (failure group ' + t[0] + ')' : '');
    return t[1] === 'group' ? 'click to close its failure group ' + t[0] : 'click to close';
  }

  function midpoint(g) {
    var p = g.querySelector('path.stroke');
    if (p) { var L = p.getTotalLength(); return p.getPointAtLength(L / 2); }
    var c = g.querySelector('circle');
    return {x: +c.getAttribute('cx'), y: +c.getAttribute('cy')};
  }
  function closedMark(g, on) {
    var m = g.querySelector('.closed-mark');
    if (on && !m) {
      var p = midpoint(g), r = 6;
      m = document.createElementNS(svg.namespaceURI, 'path');
      m.setAttribute('class', 'closed-mark');
      m.setAttribute('d', 'M' + (p.x - r) + ',' + (p.y - r) + 'L' + (p.x + r) + ',' + (p.y + r) +
                          'M' + (p.x - r) + ',' + (p.y + r) + 'L' + (p.x + r) + ',' + (p.y - r));
      m.setAttribute('vector-effect', 'non-scaling-stroke');
      g.appendChild(m);
    }
    if (m) m.setAttribute('visibility', on ? 'visible' : 'hidden');
  }

  function markClosed() {
    svg.querySelectorAll('[data-id]').forEach(function (g) {
      var on = isClosed(g);
      g.classList.toggle('closed', on);
      closedMark(g, on);
      var t = g.querySelector('title');
      if (t) {
        if (!t.hasAttribute('data-base')) t.setAttribute('data-base', t.textContent);
        t.textContent = t.getAttribute('data-base') + '\n' + stateLine(g);
      }
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
    document.querySelectorAll('#elements button').forEach(function (b) {
      var on = closed.has(b.getAttribute('data-id'));
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
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
    } else { text('throughput', '— (no flow terminals: choose a source and a sink)'); text('bottleneck', '—'); }
    if (r.served) {
      var su = r.served.unit || u;  // all traffic in one unit, as the console and report
      var sa = r.served.intact[su], sb = r.served.closed[su];
      text('served', (closed.size ? fmt(sa) + ' → ' + fmt(sb) : fmt(sa)) + ' of ' + fmt(r.served.demand[su]) + ' ' + su);
      $('served').classList.toggle('changed', sa !== sb);
    } else { text('served', '— (the network has no demands)'); }
    if (r.detour) {
      var d0 = r.detour.intact, d1 = r.detour.closed, s = fmt(d0.time_days) + ' days';
      if (closed.size) {
        s = d1.found ? s + ' → ' + fmt(d1.time_days) + ' days (+' + fmt(r.detour.extra_h, 0) + ' h) via ' + short(d1.via)
                     : s + ' → no route remains';
      } else { s += ' via ' + short(d0.via); }
      text('detour', s);
      $('detour').title = (d1 && d1.found ? d1.via : d0.via).join(' → ');
    } else { text('detour', '— (no transit times or no terminals)'); }
    if (r.period) {
      var parts = [];
      ['throughput', 'served'].forEach(function (k) {
        if (!r.period[k]) return;
        parts.push(k + ': ' + Object.keys(r.period[k]).map(function (q) { return fmt(r.period[k][q], 0) + ' ' + q; }).join(' = '));
      });
      text('period', r.period.days + ' days; ' + parts.join('; '));
    } else { text('period', '— (choose dates)'); }
    showCampaign(r.campaign);
    var util = r.utilisation || {};
    var cut = new Set((r.bottleneck && r.bottleneck.closed || []).map(function (c) { return c.id; }));
    svg.querySelectorAll('g.link').forEach(function (g) {
      var id = g.getAttribute('data-id'), line = g.querySelector('path.stroke');
      if (line && id in util) line.setAttribute('stroke', colour(util[id]));
      g.classList.toggle('newcut', cut.has(id));
    });
    $('dl-csv').href = '/api/results.csv?' + query();
    $('dl-json').href = '/api/results.json?' + query();
  }

  function showCampaign(c) {
    $('campaign-row').hidden = !c;
    if (!c) return;
    if (c === 'pending') { text('campaign', 'simulating…'); return; }
    if (c.error) { text('campaign', c.error); return; }
    var day = function (iso) { return iso ? iso.slice(0, 10) : 'never'; };
    text('campaign', 'last delivery ' + day(c.completion_undisrupted) + ' → ' + day(c.completion) +
         '; mean delay ' + fmt(c.mean_delay_h) + ' h, max ' + fmt(c.max_delay_h) + ' h; ' +
         fmt(c.delayed_containers, 0) + ' of ' + fmt(c.containers, 0) + ' containers delayed, ' +
         fmt(c.undelivered, 0) + ' undelivered');
  }
  // the campaign (a simulation, ~1 s) is asked for after the closure's figures are shown
  function campaign(body, mine) {
    if (!net || !net.campaign || !body.elements.length) return;
    showCampaign('pending');
    fetch('/api/campaign', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
      .then(function (resp) { return resp.json().then(function (j) { return [resp.ok, j]; }); })
      .then(function (x) {
        if (mine !== seq) return;
        showCampaign(x[0] ? x[1].campaign : {error: x[1].error || 'error'});
      })
      .catch(function (e) { if (mine === seq) showCampaign({error: 'request failed: ' + e}); });
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
        campaign(body, mine);
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
  function toggleElement(g) { var t = target(g); toggle(t[0], t[1]); }

  // -- pan and zoom (the SVG's own viewBox) ----------------------------------------------------
  var vb0 = svg.viewBox.baseVal, home = {x: vb0.x, y: vb0.y, w: vb0.width, h: vb0.height};
  var vb = {x: home.x, y: home.y, w: home.w, h: home.h};
  function zoomLevel() { return home.w / vb.w; }
  function setView() {
    svg.setAttribute('viewBox', vb.x + ' ' + vb.y + ' ' + vb.w + ' ' + vb.h);
    var k = zoomLevel();
    svg.classList.toggle('zoomed', k > 1.01);
    svg.querySelectorAll('g.node circle').forEach(function (c) {
      if (!c.hasAttribute('data-r')) c.setAttribute('data-r', c.getAttribute('r'));
      c.setAttribute('r', String(+c.getAttribute('data-r') / Math.sqrt(k)));
    });
    svg.querySelectorAll('.places, .node-labels, .structure-labels, .graticule').forEach(function (g) {
      if (!g.hasAttribute('data-fs')) g.setAttribute('data-fs', g.getAttribute('font-size') || '10');
      g.setAttribute('font-size', String(+g.getAttribute('data-fs') / k));
    });
    document.body.setAttribute('data-zoom', k.toFixed(2));
  }
  function toSvg(cx, cy) {
    var p = svg.createSVGPoint(); p.x = cx; p.y = cy;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  function zoomAt(cx, cy, f) {
    var k = zoomLevel(), nk = Math.min(Math.max(k * f, 1), MAX_ZOOM);
    f = nk / k;
    if (f === 1) return;
    var p = toSvg(cx, cy);
    vb.x = p.x - (p.x - vb.x) / f; vb.y = p.y - (p.y - vb.y) / f;
    vb.w /= f; vb.h /= f;
    clampView(); setView();
  }
  function clampView() {
    vb.x = Math.min(Math.max(vb.x, home.x), home.x + home.w - vb.w);
    vb.y = Math.min(Math.max(vb.y, home.y), home.y + home.h - vb.h);
  }
  function zoomCentre(f) {
    var r = svg.getBoundingClientRect(); zoomAt(r.left + r.width / 2, r.top + r.height / 2, f);
  }
  function resetView() { vb = {x: home.x, y: home.y, w: home.w, h: home.h}; setView(); }
  function zoomTo(box) {      // box in SVG units: {x, y, w, h}
    var f = Math.min(home.w / box.w, home.h / box.h, MAX_ZOOM);
    vb.w = home.w / f; vb.h = home.h / f;
    vb.x = box.x + box.w / 2 - vb.w / 2; vb.y = box.y + box.h / 2 - vb.h / 2;
    clampView(); setView();
  }

  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    zoomAt(ev.clientX, ev.clientY, ev.deltaY < 0 ? 1.25 : 0.8);
  }, {passive: false});
  var drag = null, moved = false;
  svg.addEventListener('pointerdown', function (ev) {
    if (ev.button !== 0) return;
    drag = {x: ev.clientX, y: ev.clientY, vx: vb.x, vy: vb.y}; moved = false;
  });
  window.addEventListener('pointermove', function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 5) return;
    moved = true;
    var s = vb.w / svg.getBoundingClientRect().width;
    vb.x = drag.vx - dx * s; vb.y = drag.vy - dy * s; clampView(); setView();
  });
  window.addEventListener('pointerup', function () { drag = null; });
  svg.addEventListener('dblclick', function (ev) { ev.preventDefault(); zoomAt(ev.clientX, ev.clientY, 2); });
  svg.addEventListener('keydown', function (ev) {
    var step = vb.w / 10, handled = true;
    if (ev.key === '+' || ev.key === '=') zoomCentre(1.5);
    else if (ev.key === '-') zoomCentre(1 / 1.5);
    else if (ev.key === '0') resetView();
    else if (ev.key === 'ArrowLeft') { vb.x -= step; clampView(); setView(); }
    else if (ev.key === 'ArrowRight') { vb.x += step; clampView(); setView(); }
    else if (ev.key === 'ArrowUp') { vb.y -= step; clampView(); setView(); }
    else if (ev.key === 'ArrowDown') { vb.y += step; clampView(); setView(); }
    else handled = false;
    if (handled) ev.preventDefault();
  });
  $('zoom-in').addEventListener('click', function () { zoomCentre(1.5); });
  $('zoom-out').addEventListener('click', function () { zoomCentre(1 / 1.5); });
  $('zoom-reset').addEventListener('click', resetView);

  // -- hit testing: links first, then nodes; a pick-list where several lie under the pointer --
  function points(path) {
    if (!path._pts) {
      var nums = path.getAttribute('d').replace(/[MLZ]/g, ' ').trim().split(/[\s,]+/).map(Number);
      var pts = [];
      for (var i = 0; i + 1 < nums.length; i += 2) pts.push([nums[i], nums[i + 1]]);
      path._pts = pts;
    }
    return path._pts;
  }
  function segDist(px, py, ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, L = dx * dx + dy * dy;
    var t = L ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / L)) : 0;
    var x = ax + t * dx - px, y = ay + t * dy - py;
    return Math.sqrt(x * x + y * y);
  }
  function frameAt(cx, cy) {   // the topmost frame under the pointer (insets lie over the map)
    var frames = Array.from(svg.querySelectorAll('g.frame')).reverse();
    for (var i = 0; i < frames.length; i++) {
      var f = frames[i];
      if (f.getAttribute('visibility') === 'hidden') continue;
      var r = f.querySelector('rect.sea').getBoundingClientRect();
      if (cx >= r.left && cx <= r.right && cy >= r.top && cy <= r.bottom) return f;
    }
    return null;
  }
  function hits(cx, cy) {
    var f = frameAt(cx, cy);
    if (!f) return [];
    var best = new Map();
    function keep(g, d) {
      var id = g.getAttribute('data-kind') + ':' + g.getAttribute('data-id');
      if (!best.has(id) || best.get(id).d > d) best.set(id, {g: g, d: d});
    }
    f.querySelectorAll('g.link').forEach(function (g) {
      var p = g.querySelector('path.stroke'), m = p.getScreenCTM(), pts = points(p);
      var tol = LINK_TOL + (+p.getAttribute('stroke-width') || 0) / 2, d = Infinity;
      for (var i = 0; i + 1 < pts.length; i++) {
        var a = pts[i], b = pts[i + 1];
        d = Math.min(d, segDist(cx, cy, m.a * a[0] + m.c * a[1] + m.e, m.b * a[0] + m.d * a[1] + m.f,
                                m.a * b[0] + m.c * b[1] + m.e, m.b * b[0] + m.d * b[1] + m.f));
      }
      if (d <= tol) keep(g, d);
    });
    if (!best.size) {
      f.querySelectorAll('g.node').forEach(function (g) {
        var r = g.querySelector('circle').getBoundingClientRect();
        var d = Math.hypot(cx - (r.left + r.width / 2), cy - (r.top + r.height / 2));
        if (d <= NODE_TOL) keep(g, d);
      });
    }
    return Array.from(best.values()).sort(function (a, b) { return a.d - b.d; });
  }
  function hidePick() { $('pick').hidden = true; $('pick').textContent = ''; }
  function showPick(list, cx, cy) {
    var box = $('pick'); box.textContent = '';
    var h = document.createElement('div'); h.className = 'pick-title';
    h.textContent = list.length + ' elements here — choose one:'; box.appendChild(h);
    list.forEach(function (c) {
      var b = document.createElement('button'); b.type = 'button';
      b.setAttribute('data-id', c.g.getAttribute('data-id'));
      b.textContent = (isClosed(c.g) ? 'reopen ' : 'close ') + label(c.g) + ' (' + c.g.getAttribute('data-kind') + ')';
      b.addEventListener('click', function () { hidePick(); toggleElement(c.g); });
      box.appendChild(b);
    });
    box.style.left = Math.max(0, Math.min(cx + 8, document.documentElement.clientWidth - 260)) + 'px';
    box.style.top = Math.max(0, Math.min(cy + 8, window.innerHeight - 40 - 28 * list.length)) + 'px';
    box.hidden = false;
    box.querySelector('button').focus();
  }
  svg.addEventListener('click', function (ev) {
    if (moved) { moved = false; return; }
    hidePick();
    var list = hits(ev.clientX, ev.clientY);
    if (!list.length) {
      var inset = ev.target.closest('g.frame.inset');   // a click on an inset's background
      if (inset && !svg.classList.contains('zoomed')) {  // zooms the map to what it magnifies
        var src = inset.getAttribute('data-source');
        if (src) { var b = src.split(' ').map(Number); zoomTo({x: b[0], y: b[1], w: b[2] - b[0], h: b[3] - b[1]}); }
      }
      return;
    }
    if (list.length === 1) toggleElement(list[0].g);
    else showPick(list, ev.clientX, ev.clientY);
  });
  document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') hidePick(); });
  svg.addEventListener('mousemove', function (ev) {
    var list = hits(ev.clientX, ev.clientY);
    svg.style.cursor = list.length ? 'pointer' : 'grab';
    if (!list.length) return;
    var g = list[0].g;
    text('hover', label(g) + ' — ' + stateLine(g) + (list.length > 1 ? ' (' + (list.length - 1) + ' more here)' : ''));
  });

  // -- the element list (keyboard access) --------------------------------------------------------
  function buildList(j) {
    var ul = $('elements');
    var items = [];
    j.groups.forEach(function (g) {   // groups other than a single element of the same id
      if (g.members.length > 1 || g.members[0] !== g.id) items.push({id: g.id, kind: 'group', name: g.names.join(', ')});
    });
    j.links.forEach(function (l) { items.push({id: l.id, kind: 'link', name: l.name || l.id}); });
    j.nodes.forEach(function (n) { items.push({id: n.id, kind: 'node', name: n.name || n.id}); });
    items.forEach(function (it) {
      var li = document.createElement('li'), b = document.createElement('button');
      b.type = 'button'; b.setAttribute('data-id', it.id); b.setAttribute('data-kind', it.kind);
      b.setAttribute('aria-pressed', 'false');
      b.textContent = it.kind + ': ' + it.name + (it.name === it.id ? '' : ' (' + it.id + ')');
      b.addEventListener('click', function () { toggle(it.id, it.kind); });
      b.addEventListener('focus', function () {
        svg.querySelectorAll('.focus').forEach(function (x) { x.classList.remove('focus'); });
        svg.querySelectorAll('[data-id="' + CSS.escape(it.id) + '"], [data-group="' + CSS.escape(it.id) + '"]').forEach(function (x) {
          if (it.kind !== 'group' || x.getAttribute('data-group') === it.id) x.classList.add('focus');
        });
        text('hover', it.kind + ' ' + it.name + ' — ' + (closed.has(it.id) ? 'closed — Enter to reopen' : 'Enter to close'));
      });
      b.addEventListener('keydown', function (ev) {
        var sib = ev.key === 'ArrowDown' ? li.nextElementSibling : ev.key === 'ArrowUp' ? li.previousElementSibling : null;
        while (sib && sib.hidden) sib = ev.key === 'ArrowDown' ? sib.nextElementSibling : sib.previousElementSibling;
        if (sib) { ev.preventDefault(); sib.querySelector('button').focus(); }
      });
      li.appendChild(b); ul.appendChild(li);
    });
    $('element-filter').addEventListener('input', function () {
      var q = this.value.toLowerCase();
      ul.querySelectorAll('li').forEach(function (li) { li.hidden = q && li.textContent.toLowerCase().indexOf(q) < 0; });
    });
  }

  $('apply').addEventListener('click', update);
  $('clear').addEventListener('click', function () { closed.clear(); markClosed(); update(); });
  $('by-group').addEventListener('change', markClosed);
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

  // the computed "what this means" block (the study workflow's findings, as in the console)
  function findings(tries) {
    var body = $('findings-body');
    fetch('/api/findings').then(function (r) {
      return r.json().then(function (j) { return [r.status, j]; });
    }).then(function (x) {
      if (x[0] === 503 && tries > 0) { setTimeout(function () { findings(tries - 1); }, 2000); return; }
      body.textContent = '';
      if (x[0] !== 200) { body.textContent = 'The findings could not be computed: ' + (x[1].error || x[0]); return; }
      body.className = '';
      if (!x[1].findings.length) {
        body.className = 'muted';
        body.textContent = 'Nothing to state: the scenario has no commodities, demands or ' +
          'disruptions. Close elements on the map, or pick throughput terminals in the panel.';
        return;
      }
      x[1].findings.forEach(function (f) {
        var p = document.createElement('p'), b = document.createElement('strong');
        p.setAttribute('data-key', f.key);
        b.textContent = f.title + '. ';
        p.appendChild(b); p.appendChild(document.createTextNode(f.text));
        body.appendChild(p);
      });
    }).catch(function () { body.textContent = 'The findings could not be loaded.'; });
  }

  markClosed();
  findings(30);
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
    buildList(j);
    update();
  });
})();
