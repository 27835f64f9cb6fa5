/**
 * `--html FILE`: one self-contained page (no external assets). The tables are rendered here;
 * the charts (throughput, latency percentiles, connections and memory over time, one point
 * per second) are drawn as inline SVG by a small script from the report embedded as JSON, so
 * the file is the data too.
 */
import { shardsLine, type SimReport } from './report.js';
import { formatDuration } from './units.js';

/** Renders the report as an HTML page. */
export function renderHtml(r: SimReport): string {
  const verdict = r.run.error ? 'error' : r.passed ? 'pass' : 'fail';
  const rows = (pairs: [string, unknown][]): string => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('');
  const lat = Object.entries(r.latency)
    .map(([name, s]) => `<tr><th>${esc(name)}</th><td>${s.count}</td><td>${n(s.p50)}</td><td>${n(s.p90)}</td><td>${n(s.p99)}</td><td>${n(s.p999)}</td><td>${n(s.max)}</td></tr>`)
    .join('');
  const th = r.thresholds
    .map((t) => `<tr class="${t.ok ? 'ok' : 'bad'}"><td>${t.ok ? 'ok' : 'FAIL'}</td><td><code>${esc(t.expr)}</code></td><td>${t.actual === null ? 'no data' : esc(String(t.actual))}</td><td>${esc(unitOf(t.expr))}</td></tr>`)
    .join('');
  const reasons = (rec: Record<string, number>): string =>
    Object.entries(rec)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ') || '-';
  // JSON inside <script>: escape "<" so a "</script>" in any string cannot end the element.
  const data = JSON.stringify(r).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>msggw sim ${esc(r.scenario)}: ${verdict}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d232a;background:#fafbfc}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600;text-transform:uppercase;font-size:12px}
.pass{background:#1a7f37}.fail{background:#cf222e}.error{background:#9a6700}
table{border-collapse:collapse;background:#fff;margin:4px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f3f5f7;font-weight:600}
tr.bad td{background:#ffebe9} tr.ok td{background:#dafbe1}
.grid{display:flex;flex-wrap:wrap;gap:16px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px;flex:1 1 560px;min-width:0}
.card.empty{display:none}
svg.chart{display:block;width:100%;height:280px}
.muted{color:#57606a}
</style></head><body>
<h1>msggw sim ${esc(r.scenario)} <span class="verdict ${verdict}">${verdict}</span></h1>
<div class="muted">${esc(r.target.kind)} ${esc(r.target.url)} · started ${esc(r.run.startedAt)} · ${esc(formatDuration(r.run.durationMs))} · load window ${esc(formatDuration(r.run.loadMs))} · prefix ${esc(r.run.prefix)} · seed ${r.run.seed}${r.run.aborted ? ' · aborted' : ''}${r.shards ? ` · shards: ${esc(shardsLine(r.shards))}` : ''}</div>
${r.run.error ? `<p class="bad"><b>error:</b> ${esc(r.run.error)}</p>` : ''}
${th ? `<h2>Thresholds</h2><table><tr><th></th><th>check</th><th>actual</th><th>unit</th></tr>${th}</table>` : ''}
<h2>Charts</h2>
<div class="grid">
<div class="card"><svg class="chart" id="chart-throughput" data-chart="throughput" role="img" aria-label="throughput per second"></svg></div>
<div class="card"><svg class="chart" id="chart-latency" data-chart="latency" role="img" aria-label="latency percentiles per second"></svg></div>
<div class="card"><svg class="chart" id="chart-connections" data-chart="connections" role="img" aria-label="open connections"></svg></div>
<div class="card"><svg class="chart" id="chart-memory" data-chart="memory" role="img" aria-label="memory"></svg></div>
</div>
<h2>Summary</h2>
<div class="grid"><table>${rows([
    ['connections opened', r.connections.opened],
    ['connections failed', `${r.connections.failed} (${reasons(r.connections.failedByReason)})`],
    ['connections closed', `${r.connections.closed} (${reasons(r.connections.closedByReason)})`],
    ['dropped', r.connections.dropped],
    ['peak open', r.connections.peak],
    ['time to open', r.connections.timeToOpenMs === null ? '-' : formatDuration(r.connections.timeToOpenMs)],
    ['reconnects', r.connections.reconnects],
  ])}</table><table>${rows([
    ['messages sent', `${r.messages.sent} (${r.messages.sentPerSec ?? '-'}/s)`],
    ['send failures', r.messages.failed],
    ['expected deliveries', r.messages.expectedDeliveries],
    ['received by push', `${r.messages.receivedByPush} (${r.messages.deliveredPerSec ?? '-'}/s)`],
    ['received by pull', r.messages.receivedByPull],
    ['lost', r.integrity.lost],
    ['duplicates', r.integrity.duplicates],
    ['out of order', r.integrity.outOfOrder],
    ['gaps', r.integrity.gaps],
    ['errors', r.errors.total],
    ['rss peak (MB)', r.memory.rssPeakMB],
  ])}</table></div>
${lat ? `<h2>Latency (ms)</h2><table><tr><th></th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>${lat}</table>` : ''}
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>` : ''}
<h2>Parameters</h2><pre>${esc(JSON.stringify(r.params, null, 2))}</pre>
<script type="application/json" id="report-data">${data}</script>
<script>
${CHART_SCRIPT}
</script>
</body></html>
`;
}

/** Draws the charts from the embedded report (runs in the browser). */
const CHART_SCRIPT = String.raw`(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var tl = report.timeline || [];
  var COLORS = ['#0969da', '#1a7f37', '#bf3989', '#9a6700', '#cf222e', '#8250df'];
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, anchor, size) {
    var t = el('text', { x: x, y: y, 'font-size': size || 11, fill: '#57606a', 'text-anchor': anchor || 'start' }, parent);
    t.textContent = s;
    return t;
  }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fmt(v) {
    return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  }
  // opts.log: a log10 value axis (a warm-up spike must not flatten the steady state);
  // opts.hideEmpty: no card at all when no series has data.
  function chart(id, title, unit, series, opts) {
    opts = opts || {};
    var svg = document.getElementById(id);
    // The window's width, not a fixed one: the viewBox follows the element's size.
    var W = Math.max(360, Math.round(svg.getBoundingClientRect().width) || 720), H = 280, L = 56, R = 16, T = 36, B = 40;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    text(svg, L, 14, title, 'start', 13).setAttribute('fill', '#1d232a');
    var pts = [], maxX = 0, maxY = 0;
    series.forEach(function (s) {
      var p = [];
      tl.forEach(function (pt) {
        var y = s.get(pt);
        if (y !== null && y !== undefined && isFinite(y)) { p.push([pt.t, y]); if (y > maxY) maxY = y; }
        if (pt.t > maxX) maxX = pt.t;
      });
      pts.push(p);
    });
    var drawn = pts.some(function (p) { return p.length > 0; });
    if (!drawn) {
      if (opts.hideEmpty) svg.parentNode.classList.add('empty');
      text(svg, W / 2, H / 2, 'no data', 'middle', 13); svg.setAttribute('data-drawn', '0'); return;
    }
    var minY = Infinity;
    pts.forEach(function (p) { p.forEach(function (q) { if (q[1] > 0 && q[1] < minY) minY = q[1]; }); });
    var useLog = opts.log && minY < Infinity && maxY / minY > 20;
    var lo = useLog ? Math.pow(10, Math.floor(Math.log10(minY))) : 0;
    maxY = useLog ? Math.pow(10, Math.ceil(Math.log10(maxY))) : niceMax(maxY);
    if (useLog && maxY <= lo) maxY = lo * 10;
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    var step = steps.filter(function (st) { return maxX / st <= 6; })[0] || 3600;
    maxX = Math.max(step, Math.ceil(maxX / step) * step);
    var x = function (v) { return L + (v / maxX) * (W - L - R); };
    var y = useLog
      ? function (v) { var c = Math.max(lo, v); return H - B - ((Math.log10(c) - Math.log10(lo)) / (Math.log10(maxY) - Math.log10(lo))) * (H - T - B); }
      : function (v) { return H - B - (v / maxY) * (H - T - B); };
    var ticks = [];
    if (useLog) for (var dv = lo; dv <= maxY * 1.0001; dv *= 10) ticks.push(dv);
    else for (var i = 0; i <= 4; i++) ticks.push((maxY * i) / 4);
    ticks.forEach(function (tv) {
      var gy = y(tv);
      el('line', { x1: L, x2: W - R, y1: gy, y2: gy, stroke: '#eaeef2' }, svg);
      text(svg, L - 6, gy + 4, fmt(tv), 'end');
    });
    if (useLog) { text(svg, W - R, 14, 'log scale', 'end'); svg.setAttribute('data-scale', 'log'); }
    // Warm-up: the first second of load, when connections and caches are still cold.
    if (opts.warmup && tl.length > 1) {
      var wx = x(Math.min(1, maxX));
      var band = el('rect', { x: L, y: T, width: Math.max(0, wx - L), height: H - T - B, fill: '#f6f8fa', class: 'warmup' }, svg);
      el('title', {}, band).textContent = 'warm-up (first second)';
      text(svg, L + 4, H - B - 4, 'warm-up');
    }
    // Phases: a dashed line where each starts, labelled with its name (labels that would touch
    // the previous one move down a row), and one where the last ends.
    var phases = (report.phases || []).filter(function (ph) { return ph.startS >= 0 && ph.startS <= maxX; });
    var labelEnd = -Infinity, row = 0;
    phases.forEach(function (ph, k) {
      var px = x(ph.startS);
      var g = el('g', { class: 'phase', 'data-phase': ph.name }, svg);
      el('title', {}, g).textContent = 'phase ' + ph.name + ': ' + fmt(ph.startS) + 's to ' + fmt(ph.endS) + 's';
      el('line', { x1: px, x2: px, y1: T, y2: H - B, stroke: '#8250df', 'stroke-width': 1.5, 'stroke-dasharray': '4 3' }, g);
      row = px + 3 < labelEnd ? (row + 1) % 3 : 0;
      var label = text(g, px + 3, T + 11 + row * 12, ph.name);
      label.setAttribute('fill', '#8250df');
      label.setAttribute('class', 'phase-label');
      labelEnd = Math.max(labelEnd, px + 3 + ph.name.length * 6.5);
      if (k === phases.length - 1 && ph.endS > ph.startS && ph.endS <= maxX) {
        var ex = x(ph.endS);
        el('line', { x1: ex, x2: ex, y1: T, y2: H - B, stroke: '#8250df', 'stroke-width': 1, 'stroke-dasharray': '1 3', class: 'phase-end' }, g);
      }
    });
    for (var tv = 0; tv <= maxX; tv += step) text(svg, x(tv), H - B + 16, tv + 's', 'middle');
    el('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#8c959f' }, svg);
    el('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#8c959f' }, svg);
    text(svg, L - 6, T - 12, unit, 'end');
    var lx = L;
    // Drawn in the order given, so later series (p99 after max) lie on top and stay visible.
    var order = series.map(function (_, k) { return k; });
    if (opts.drawOrder) order = opts.drawOrder;
    order.forEach(function (k) {
      var s = series[k], p = pts[k], color = COLORS[k % COLORS.length];
      if (p.length === 0) return;
      var d = p.map(function (q, n) { return (n ? 'L' : 'M') + x(q[0]).toFixed(1) + ' ' + y(q[1]).toFixed(1); }).join(' ');
      if (p.length === 1) d += ' l 0.01 0';
      el('path', { d: d, fill: 'none', stroke: color, 'stroke-width': s.width || 2, 'stroke-dasharray': s.dash || '', 'stroke-linejoin': 'round', 'stroke-linecap': 'round', class: 'series', 'data-series': s.name }, svg);
      // Hover values: a point per sample with its value as a tooltip.
      p.forEach(function (q) {
        var c = el('circle', { cx: x(q[0]).toFixed(1), cy: y(q[1]).toFixed(1), r: 3, fill: color, class: 'point' }, svg);
        el('title', {}, c).textContent = s.name + ' at ' + q[0] + 's: ' + fmt(q[1]) + ' ' + unit;
      });
    });
    series.forEach(function (s, k) {
      var p = pts[k];
      var color = COLORS[k % COLORS.length];
      el('rect', { x: lx, y: H - 14, width: 10, height: 10, fill: color }, svg);
      text(svg, lx + 14, H - 5, s.name + (p.length ? '' : ' (none)'));
      lx += 24 + s.name.length * 7 + (p.length ? 0 : 42);
    });
    svg.setAttribute('data-drawn', '1');
  }
  function pick(field, stat) { return function (pt) { return pt[field] ? pt[field][stat] : null; }; }
  function any(f) { return tl.some(function (p) { return p[f] > 0; }); }
  // A run that sends nothing (presence, connect) gets no sent/delivered lines.
  var tput = [];
  if (any('sent') || any('delivered')) tput.push({ name: 'sent', get: function (p) { return p.sent; } }, { name: 'delivered', get: function (p) { return p.delivered; } });
  if (any('opened')) tput.push({ name: 'opened', get: function (p) { return p.opened; } });
  if (any('errors')) tput.push({ name: 'errors', get: function (p) { return p.errors; } });
  chart('chart-throughput', 'Throughput per second', 'per s', tput, { hideEmpty: true });
  var hasDelivery = tl.some(function (p) { return p.delivery; });
  var fam = hasDelivery ? 'delivery' : tl.some(function (p) { return p.presence; }) ? 'presence' : tl.some(function (p) { return p.rtt; }) ? 'rtt' : 'handshake';
  chart('chart-latency', 'Latency percentiles per second: ' + fam, 'ms', [
    { name: 'p50', get: pick(fam, 'p50') },
    { name: 'p90', get: pick(fam, 'p90') },
    { name: 'p99', get: pick(fam, 'p99'), width: 3 },
    { name: 'max', get: pick(fam, 'max'), width: 1.5, dash: '5 3' }
  ], { log: true, warmup: true, drawOrder: [3, 0, 1, 2] });
  chart('chart-connections', 'Open connections', 'conns', [{ name: 'open', get: function (p) { return p.open; } }]);
  chart('chart-memory', 'Resident memory', 'MB', [
    { name: 'sim rss', get: function (p) { return p.rssMB; } },
    { name: 'gateway rss', get: function (p) { return p.gatewayRssMB; } }
  ]);
  document.body.setAttribute('data-charts', 'drawn');
})();`;

/** The unit of a threshold's metric, for the thresholds table. */
export function unitOf(expr: string): string {
  const metric = expr.split(/[<>=!]/)[0]!.trim();
  if (/\.(p\d+|min|max|mean|avg|med)$/.test(metric) || metric === 'duration' || metric === 'load.duration' || metric === 'time.open') return 'ms';
  if (metric.startsWith('throughput.')) return 'per s';
  if (metric.endsWith('.peak') && metric.includes('rss')) return 'MB';
  return 'count';
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

function n(v: number | null): string {
  return v === null ? '-' : String(Math.round(v * 1000) / 1000);
}
