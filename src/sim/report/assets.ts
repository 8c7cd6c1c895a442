/**
 * The report's inline stylesheet and script. Both are constants (no result data is interpolated
 * into them), so nothing from a scenario can reach a script context; the script reads the page's
 * data-* attributes instead.
 */

export const REPORT_CSS = `
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--nw:#0e7490;--ca:#c2410c;--good:#15803d;--bad:#b91c1c;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}
body{margin:0;line-height:1.45;font-size:14px}
header.top{background:#0f172a;color:#e2e8f0;padding:28px 0 24px}
header.top .brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#94a3b8}
header.top h1{margin:4px 0 10px;font-size:26px;font-weight:650;color:#fff}
.meta{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.meta li{background:#1e293b;border:1px solid #334155;border-radius:999px;padding:2px 10px;font-size:12px}
.wrap{max-width:1180px;margin:0 auto;padding:0 24px}
main.wrap{padding-top:20px;padding-bottom:48px}
section{margin-top:28px}
h2{font-size:17px;margin:0 0 12px;font-weight:650}
h3{font-size:14px;margin:0;font-weight:600}
.notice{background:#fffbeb;border:1px solid #fcd34d;color:#78350f;border-radius:8px;padding:8px 12px;margin:8px 0}
.muted{color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin-top:0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.kpi-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;margin-bottom:6px}
.kpi-value{display:flex;justify-content:space-between;align-items:baseline;gap:8px}
.kpi-strategy{font-size:12px;color:var(--muted)}
.kpi-number{font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi-value.better .kpi-number{color:var(--good)}
.kpi-diff{margin-top:6px;font-size:12px;font-weight:600}
table{border-collapse:collapse;width:100%}
th,td{padding:6px 10px;text-align:left;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
thead th small{font-weight:400}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.comparison{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden}
table.comparison tbody th{font-weight:500}
table.comparison tr.group-start>*{border-top:2px solid var(--line)}
td.better{font-weight:650}
.good{color:var(--good)}.bad{color:var(--bad)}.neutral{color:var(--muted)}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.strategy-nodewright{background:var(--nw)}.strategy-cluster-autoscaler{background:var(--ca)}
.kind{display:inline-block;border-radius:6px;padding:1px 7px;font-size:12px;background:#f1f5f9;border:1px solid var(--line);white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(460px,100%),1fr));gap:16px}
figure.chart{position:relative;margin:0;background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px 6px}
figure.chart figcaption{display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:6px}
.legend{display:flex;gap:14px;margin:0;padding:0;list-style:none;font-size:12px;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:18px;border-top:3px solid}
.swatch.dashed{border-top-style:dashed;border-top-width:2px}
figure.chart svg{width:100%;height:auto;display:block;overflow:visible}
svg .grid{stroke:#eef2f7}
svg .axis{stroke:#94a3b8}
svg .tick{font-size:11px;fill:var(--muted)}
svg .axis-label{font-size:11px;fill:var(--muted)}
svg .series{fill:none;stroke-width:2;stroke-linejoin:round}
svg .series.dashed{stroke-width:1.5;stroke-dasharray:5 4}
svg .cursor{stroke:#334155;stroke-width:1;stroke-dasharray:2 3}
.readout{position:absolute;top:44px;pointer-events:none;background:rgba(15,23,42,.92);color:#fff;border-radius:6px;padding:6px 9px;font-size:12px;white-space:nowrap;font-variant-numeric:tabular-nums}
.readout b{display:block;font-weight:600;margin-bottom:2px}
.two-col{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(360px,100%),1fr));gap:16px}
.mixes{display:grid;gap:12px}
.mix h3,.util h3{margin-bottom:8px}
.utilisation>p{margin:0 0 4px}
.bar-cell{width:30%;vertical-align:middle}
.bar{display:block;height:10px;border-radius:5px;min-width:2px}
.utilisation .util{margin-top:12px}
.util-row{display:grid;grid-template-columns:70px 1fr 56px;align-items:center;gap:10px;margin:6px 0}
.util-track{background:#f1f5f9;border-radius:5px;height:10px;overflow:hidden}
.util-value{text-align:right;font-variant-numeric:tabular-nums}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:6px}
.filter-group{display:inline-flex;flex-wrap:wrap;border:1px solid var(--line);border-radius:8px;overflow:hidden;background:var(--card)}
.filter-group button{border:0;border-right:1px solid var(--line);background:none;padding:5px 10px;font:inherit;font-size:12px;cursor:pointer;color:var(--fg)}
.filter-group button:last-child{border-right:0}
.filter-group button[aria-pressed="true"]{background:#0f172a;color:#fff}
#log-search{font:inherit;font-size:13px;padding:5px 10px;border:1px solid var(--line);border-radius:8px;min-width:220px}
.log-count{font-size:12px;color:var(--muted);margin:4px 0 8px}
table.log{background:var(--card);border:1px solid var(--line)}
table.log td{vertical-align:baseline}
table.log td.time{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;white-space:nowrap;color:var(--muted)}
table.log details summary{cursor:pointer}
table.log .why{margin:6px 0 2px 16px;color:#334155}
table.log .why p{margin:4px 0}
table.log .why ul{margin:2px 0 4px;padding-left:20px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
footer{margin-top:36px;color:var(--muted);font-size:12px}
`;

/** Decision-log filters and the charts' hover read-out. Plain ES2017, no dependencies. */
export const REPORT_JS = `
(function () {
  'use strict';
  var log = document.getElementById('decision-log');
  if (log) {
    var rows = Array.prototype.slice.call(log.tBodies[0].rows);
    var state = { strategy: 'all', kind: 'all', text: '' };
    var count = document.getElementById('log-count');
    var empty = document.getElementById('log-empty');
    var apply = function () {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = (state.strategy === 'all' || row.getAttribute('data-strategy') === state.strategy)
          && (state.kind === 'all' || row.getAttribute('data-kind') === state.kind)
          && (state.text === '' || row.textContent.toLowerCase().indexOf(state.text) >= 0);
        row.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = 'Showing ' + shown + ' of ' + rows.length + ' decisions';
      empty.hidden = shown > 0;
    };
    Array.prototype.forEach.call(document.querySelectorAll('.filter-group'), function (group) {
      group.addEventListener('click', function (event) {
        var button = event.target.closest('button');
        if (!button) return;
        Array.prototype.forEach.call(group.querySelectorAll('button'), function (b) {
          b.setAttribute('aria-pressed', String(b === button));
        });
        state[group.getAttribute('data-filter')] = button.getAttribute('data-value');
        apply();
      });
    });
    var search = document.getElementById('log-search');
    search.addEventListener('input', function () { state.text = search.value.trim().toLowerCase(); apply(); });
  }

  var pad = function (n) { return (n < 10 ? '0' : '') + n; };
  var clock = function (t) { t = Math.round(t); return Math.floor(t / 3600) + ':' + pad(Math.floor(t % 3600 / 60)) + ':' + pad(t % 60); };
  var format = function (v, kind) {
    if (kind === 'dollars') return '$' + v.toFixed(v < 10 ? 3 : 2) + '/h';
    if (kind === 'percent') return (v * 100).toFixed(1) + '%';
    return String(Math.round(v * 100) / 100);
  };
  var valueAt = function (ts, vs, t) {
    var lo = 0, hi = ts.length - 1;
    if (hi < 0 || t < ts[0]) return null;
    while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (ts[mid] <= t) lo = mid; else hi = mid - 1; }
    return vs[lo];
  };
  Array.prototype.forEach.call(document.querySelectorAll('figure.chart'), function (figure) {
    var svg = figure.querySelector('svg');
    var cursor = svg.querySelector('.cursor');
    var readout = figure.querySelector('.readout');
    var left = Number(svg.getAttribute('data-left')), right = Number(svg.getAttribute('data-right'));
    var tMax = Number(svg.getAttribute('data-tmax'));
    var kind = figure.getAttribute('data-kind');
    var series = Array.prototype.map.call(svg.querySelectorAll('path.series'), function (p) {
      return { name: p.getAttribute('data-series'), color: p.getAttribute('stroke'),
        ts: p.getAttribute('data-t').split(' ').map(Number), vs: p.getAttribute('data-v').split(' ').map(Number) };
    });
    svg.addEventListener('mousemove', function (event) {
      var box = svg.getBoundingClientRect();
      var x = (event.clientX - box.left) / box.width * svg.viewBox.baseVal.width;
      if (x < left || x > right) { cursor.setAttribute('visibility', 'hidden'); readout.hidden = true; return; }
      var t = (x - left) / (right - left) * tMax;
      cursor.setAttribute('x1', x); cursor.setAttribute('x2', x); cursor.setAttribute('visibility', 'visible');
      readout.textContent = '';
      var title = document.createElement('b'); title.textContent = clock(t); readout.appendChild(title);
      series.forEach(function (s) {
        var v = valueAt(s.ts, s.vs, t);
        if (v === null) return;
        var line = document.createElement('div');
        line.textContent = s.name + ': ' + format(v, kind);
        line.style.borderLeft = '3px solid ' + s.color; line.style.paddingLeft = '5px';
        readout.appendChild(line);
      });
      readout.hidden = false;
      var px = event.clientX - figure.getBoundingClientRect().left;
      readout.style.left = (px > figure.clientWidth / 2 ? px - readout.offsetWidth - 12 : px + 12) + 'px';
    });
    svg.addEventListener('mouseleave', function () { cursor.setAttribute('visibility', 'hidden'); readout.hidden = true; });
  });
})();
`;
