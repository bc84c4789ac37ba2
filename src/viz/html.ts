import type { ConceptGraph } from '../core/graph.js';
import { buildView, type ViewData } from './view-data.js';

/**
 * A self-contained HTML view of a concept graph: the largest concepts and their strongest edges,
 * laid out by a small force-directed simulation that runs once in the page. The page has no
 * external resources (it opens from file://) and everything is deterministic: the same graph and
 * options give byte-identical HTML, and the page's layout uses no randomness.
 */
export interface GraphViewOptions {
  /** Page title and heading (default "phago concept graph"). */
  title?: string;
  /** How many concepts to show, the largest by weighted degree (default 150). */
  maxNodes?: number;
  /** How many of its strongest edges each shown concept keeps (default 6). */
  maxEdgesPerNode?: number;
  /** A line under the title, e.g. the corpus and colony settings. */
  subtitle?: string;
}

const DEFAULT_TITLE = 'phago concept graph';
const DEFAULT_MAX_NODES = 150;
const DEFAULT_MAX_EDGES_PER_NODE = 6;

function intOption(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer >= 0, got ${String(v)}`);
  return v;
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** JSON that is safe inside a <script> element: no `<`, `>` or `&` can appear raw. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Thousands separators without locale dependence (toLocaleString differs between machines). */
function fmtInt(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#17becf', '#bcbd22', '#8c6bb1'];

const CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;overflow:hidden;background:#fbfaf7;color:#222;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
#view{position:fixed;inset:0;width:100%;height:100%;display:block;cursor:grab;touch-action:none}
#view.panning{cursor:grabbing}
#panel{position:fixed;top:12px;left:12px;max-width:360px;padding:10px 14px;background:rgba(255,255,255,.92);border:1px solid #ddd;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.08);z-index:2}
#panel h1{margin:0 0 2px;font-size:17px;font-weight:600}
#panel p{margin:4px 0}
#panel .sub{color:#555}
#panel .counts b{font-weight:600}
#panel .legend{margin-top:8px;color:#444;font-size:12px}
#panel .legend div{display:flex;align-items:center;gap:6px;margin:2px 0}
#panel .legend svg{flex:none}
#panel .hint{color:#777;font-size:11.5px;margin-top:6px}
.empty{position:fixed;top:50%;left:50%;transform:translate(-50%,-50%);font-size:16px;color:#666}
#tip{position:fixed;pointer-events:none;display:none;padding:6px 9px;background:rgba(30,30,30,.92);color:#fff;border-radius:5px;font-size:12px;white-space:nowrap;z-index:3}
#tip b{font-size:13px}
.edge{stroke:#7a8699}
.node{stroke:#fff;stroke-width:1.2;cursor:pointer}
.label{fill:#1d1d1d;stroke:#fbfaf7;stroke-width:3px;stroke-linejoin:round;paint-order:stroke;text-anchor:middle;pointer-events:none;font-weight:500}
#view.focus .edge:not(.on){stroke-opacity:.04}
#view.focus .node:not(.on){opacity:.18}
#view.focus .label:not(.on){opacity:.15}
#view.focus .edge.on{stroke:#333}
`;

/**
 * The page's script: parse the embedded data, run a force-directed layout once (deterministic:
 * spiral start, fixed iteration count, no randomness), draw SVG, and wire hover, pan and zoom.
 * Plain ES5-ish code in a string; it contains no `</` so it cannot end the script element early.
 */
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('phago-graph-data').textContent);
  var nodes = data.nodes, edges = data.edges, n = nodes.length;
  if (!n) return;
  var PALETTE = ${JSON.stringify(PALETTE)};
  var NS = 'http://www.w3.org/2000/svg';
  var svg = document.getElementById('view');
  var tip = document.getElementById('tip');
  var maxW = data.maxWeight || 1, maxA = data.maxAccess || 1;
  var i, j, e;

  var rad = new Float64Array(n);
  for (i = 0; i < n; i++) rad[i] = 3.5 + 20 * Math.sqrt(nodes[i].access / maxA);
  var nbrs = [];
  for (i = 0; i < n; i++) nbrs.push([]);
  for (i = 0; i < edges.length; i++) { e = edges[i]; nbrs[e[0]].push(i); nbrs[e[1]].push(i); }

  // ---- layout: Fruchterman-Reingold with gravity, from a golden-angle spiral (largest in the middle)
  var x = new Float64Array(n), y = new Float64Array(n), fx = new Float64Array(n), fy = new Float64Array(n);
  var GA = Math.PI * (3 - Math.sqrt(5)), K = 34;
  for (i = 0; i < n; i++) { var r0 = K * Math.sqrt(i + 0.5); x[i] = r0 * Math.cos(i * GA); y[i] = r0 * Math.sin(i * GA); }
  var iters = Math.max(60, Math.min(300, Math.round(2e7 / (n * n))));
  var t0 = K * Math.sqrt(n) * 0.35, grav = 0.012;
  for (var it = 0; it < iters; it++) {
    for (i = 0; i < n; i++) { fx[i] = -grav * x[i]; fy[i] = -grav * y[i]; }
    for (i = 0; i < n; i++) {
      for (j = i + 1; j < n; j++) {
        var dx = x[i] - x[j], dy = y[i] - y[j], d2 = dx * dx + dy * dy;
        if (d2 < 1e-4) { dx = 0.01 * (1 + (i % 7)); dy = 0.01 * (1 + (j % 5)); d2 = dx * dx + dy * dy; }
        var kk = K + 0.5 * (rad[i] + rad[j]);
        var f = kk * kk / d2;
        fx[i] += dx * f; fy[i] += dy * f; fx[j] -= dx * f; fy[j] -= dy * f;
      }
    }
    for (i = 0; i < edges.length; i++) {
      e = edges[i];
      var a = e[0], b = e[1];
      var ex = x[a] - x[b], ey = y[a] - y[b], d = Math.sqrt(ex * ex + ey * ey) || 0.01;
      var s = (d / K) * (0.35 + 0.65 * e[2] / maxW);
      fx[a] -= ex * s; fy[a] -= ey * s; fx[b] += ex * s; fy[b] += ey * s;
    }
    var temp = t0 * (1 - it / iters) + 0.5;
    for (i = 0; i < n; i++) {
      var len = Math.sqrt(fx[i] * fx[i] + fy[i] * fy[i]);
      if (len > 0) { var m = Math.min(len, temp) / len; x[i] += fx[i] * m; y[i] += fy[i] * m; }
    }
  }
  // a few passes pushing overlapping circles apart
  for (it = 0; it < 20; it++) {
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
      var ox = x[j] - x[i], oy = y[j] - y[i], od = Math.sqrt(ox * ox + oy * oy) || 0.01, min = rad[i] + rad[j] + 3;
      if (od < min) { var p = (min - od) / od / 2; x[i] -= ox * p; y[i] -= oy * p; x[j] += ox * p; y[j] += oy * p; }
    }
  }

  // ---- drawing
  function el(tag, attrs, parent) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  var vp = el('g', {}, svg);
  var gE = el('g', {}, vp), gN = el('g', {}, vp), gL = el('g', {}, vp);
  var edgeEls = [], nodeEls = [], labelEls = [];
  for (i = 0; i < edges.length; i++) {
    e = edges[i];
    var q = e[2] / maxW;
    edgeEls.push(el('line', { 'class': 'edge', x1: x[e[0]].toFixed(1), y1: y[e[0]].toFixed(1), x2: x[e[1]].toFixed(1), y2: y[e[1]].toFixed(1),
      'stroke-width': (0.6 + 3.4 * q).toFixed(2), 'stroke-opacity': (0.12 + 0.58 * q).toFixed(2), 'vector-effect': 'non-scaling-stroke' }, gE));
  }
  for (i = 0; i < n; i++) {
    var g = nodes[i].group;
    nodeEls.push(el('circle', { 'class': 'node', cx: x[i].toFixed(1), cy: y[i].toFixed(1), r: rad[i].toFixed(1),
      fill: g >= 0 && g < PALETTE.length ? PALETTE[g] : '#a7a9ac', 'data-i': String(i) }, gN));
  }
  for (i = 0; i < n; i++) {
    var t = el('text', { 'class': 'label', x: x[i].toFixed(1), y: (y[i] - rad[i] - 3).toFixed(1) }, gL);
    t.textContent = nodes[i].label;
    labelEls.push(t);
  }

  // ---- pan and zoom: one transform on the viewport group; labels keep their on-screen size.
  // Labels go to the largest concepts first, skipping any that would overlap one already placed;
  // zooming in past the fitted scale lets more of them compete.
  var focused = -1, moved = false;
  var tx = 0, ty = 0, sc = 1, fitSc = 1, LABELS = 40, FONT = 12;
  var lw = new Float64Array(n);
  for (i = 0; i < n; i++) lw[i] = nodes[i].label.length * FONT * 0.58 + 4;
  function apply() {
    vp.setAttribute('transform', 'translate(' + tx.toFixed(2) + ',' + ty.toFixed(2) + ') scale(' + sc.toFixed(4) + ')');
    gL.setAttribute('font-size', (FONT / sc).toFixed(3));
    gL.setAttribute('stroke-width', (3 / sc).toFixed(3));
    var z = Math.max(1, sc / fitSc), budget = Math.round(LABELS * z * z), placed = [];
    for (var li = 0; li < n; li++) {
      var show = false;
      if (placed.length < budget || li === focused) {
        var cx = tx + sc * x[li], by = ty + sc * (y[li] - rad[li]) - 3;
        var box = [cx - lw[li] / 2, by - FONT - 1, cx + lw[li] / 2, by + 2];
        show = true;
        for (var pi = 0; pi < placed.length && li !== focused; pi++) {
          var o = placed[pi];
          if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) { show = false; break; }
        }
        if (show) placed.push(box);
      }
      labelEls[li].style.display = show ? '' : 'none';
    }
  }
  function fit() {
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (var fi = 0; fi < n; fi++) {
      x0 = Math.min(x0, x[fi] - rad[fi]); x1 = Math.max(x1, x[fi] + rad[fi]);
      y0 = Math.min(y0, y[fi] - rad[fi] - 16); y1 = Math.max(y1, y[fi] + rad[fi]);
    }
    var W = svg.clientWidth || window.innerWidth, H = svg.clientHeight || window.innerHeight, pad = 24;
    // keep clear of the header panel: beside it or below it, whichever leaves the larger drawing
    var panel = document.getElementById('panel').getBoundingClientRect();
    var bw = Math.max(1, x1 - x0), bh = Math.max(1, y1 - y0);
    var areas = [[panel.right, 0, W, H], [0, panel.bottom, W, H], [0, 0, W, H]], best = null;
    for (var ai = 0; ai < areas.length; ai++) {
      var A = areas[ai], s = Math.min((A[2] - A[0] - 2 * pad) / bw, (A[3] - A[1] - 2 * pad) / bh, 3);
      if (ai === 2) s *= 0.6; // overlapping the panel only when both other areas are tiny
      if (!best || s > best[0]) best = [s, A];
    }
    sc = fitSc = Math.max(0.02, best[0]);
    tx = (best[1][0] + best[1][2]) / 2 - sc * (x0 + x1) / 2; ty = (best[1][1] + best[1][3]) / 2 - sc * (y0 + y1) / 2;
    apply();
  }
  fit();
  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var rect = svg.getBoundingClientRect(), mx = ev.clientX - rect.left, my = ev.clientY - rect.top;
    var ns = Math.max(0.05, Math.min(40, sc * Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015))));
    tx = mx - (mx - tx) * ns / sc; ty = my - (my - ty) * ns / sc; sc = ns; moved = true;
    apply();
  }, { passive: false });
  var drag = null;
  svg.addEventListener('pointerdown', function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, tx: tx, ty: ty };
    svg.setPointerCapture(ev.pointerId);
    svg.classList.add('panning');
  });
  svg.addEventListener('pointermove', function (ev) {
    if (drag) { tx = drag.tx + ev.clientX - drag.x; ty = drag.ty + ev.clientY - drag.y; moved = true; apply(); }
  });
  function endDrag() { drag = null; svg.classList.remove('panning'); }
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.addEventListener('dblclick', function () { moved = false; fit(); });

  // ---- hover: tooltip and neighbourhood highlight
  function fmt(v) { return String(v).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ','); }
  function clearFocus() {
    if (focused < 0) return;
    svg.classList.remove('focus');
    var on = svg.querySelectorAll('.on');
    for (var ci = 0; ci < on.length; ci++) on[ci].classList.remove('on');
    focused = -1;
  }
  function setFocus(k) {
    clearFocus();
    focused = k;
    svg.classList.add('focus');
    nodeEls[k].classList.add('on'); labelEls[k].classList.add('on');
    for (var ni = 0; ni < nbrs[k].length; ni++) {
      var ed = edges[nbrs[k][ni]], o = ed[0] === k ? ed[1] : ed[0];
      edgeEls[nbrs[k][ni]].classList.add('on'); nodeEls[o].classList.add('on'); labelEls[o].classList.add('on');
    }
  }
  gN.addEventListener('pointerover', function (ev) {
    var k = ev.target.getAttribute && ev.target.getAttribute('data-i');
    if (k === null || k === undefined || drag) return;
    k = Number(k);
    setFocus(k);
    apply();
    var nd = nodes[k];
    tip.textContent = '';
    var b = document.createElement('b'); b.textContent = nd.label; tip.appendChild(b);
    var lines = ['accessCount: ' + fmt(nd.access), 'degree: ' + fmt(nd.degree) + ' (' + nbrs[k].length + ' shown)', 'weighted degree: ' + nd.wdeg.toFixed(2)];
    for (var ti = 0; ti < lines.length; ti++) { tip.appendChild(document.createElement('br')); tip.appendChild(document.createTextNode(lines[ti])); }
    tip.style.display = 'block';
  });
  gN.addEventListener('pointermove', function (ev) {
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    var left = ev.clientX + 14, top = ev.clientY + 14;
    if (left + tw > window.innerWidth - 4) left = ev.clientX - tw - 14;
    if (top + th > window.innerHeight - 4) top = ev.clientY - th - 14;
    tip.style.left = left + 'px'; tip.style.top = top + 'px';
  });
  gN.addEventListener('pointerout', function () { tip.style.display = 'none'; clearFocus(); apply(); });
  window.addEventListener('resize', function () { if (!moved) fit(); });
})();
`;

function legendHtml(v: ViewData): string {
  const circle = (r: number) =>
    `<svg width="${2 * r + 2}" height="${2 * r + 2}" aria-hidden="true"><circle cx="${r + 1}" cy="${r + 1}" r="${r}" fill="#4e79a7" stroke="#fff"/></svg>`;
  const line = (w: number, o: number) =>
    `<svg width="30" height="10" aria-hidden="true"><line x1="1" y1="5" x2="29" y2="5" stroke="#7a8699" stroke-width="${w}" stroke-opacity="${o}"/></svg>`;
  const dots = PALETTE.slice(0, 5)
    .map((c) => `<svg width="10" height="10" aria-hidden="true"><circle cx="5" cy="5" r="4.5" fill="${c}"/></svg>`)
    .join('');
  return `<div class="legend">
<div>${circle(3.5)}${circle(9)}<span>size: access count (max ${fmtInt(v.maxAccess)})</span></div>
<div>${line(0.6, 0.2)}${line(4, 0.7)}<span>edge: weight (max ${v.maxWeight.toFixed(2)})</span></div>
<div>${dots}<span>colour: cluster of the shown edges</span></div>
</div>`;
}

/** Render the graph as one self-contained HTML page. */
export function renderGraphHtml(graph: ConceptGraph, tick: number, opts: GraphViewOptions = {}): string {
  const title = opts.title ?? DEFAULT_TITLE;
  const maxNodes = intOption(opts.maxNodes, DEFAULT_MAX_NODES, 'maxNodes');
  const maxEdges = intOption(opts.maxEdgesPerNode, DEFAULT_MAX_EDGES_PER_NODE, 'maxEdgesPerNode');
  const view = buildView(graph, tick, maxNodes, maxEdges);

  const sub = opts.subtitle ? `<p class="sub">${escapeHtml(opts.subtitle)}</p>\n` : '';
  let body: string;
  if (view.totalNodes === 0) {
    body = `<header id="panel">
<h1>${escapeHtml(title)}</h1>
${sub}<p class="counts">0 concepts, 0 edges</p>
</header>
<p class="empty">The graph is empty: no concepts have been digested yet.</p>`;
  } else {
    const counts =
      `<p class="counts">Showing <b>${fmtInt(view.nodes.length)}</b> of ${fmtInt(view.totalNodes)} concepts ` +
      `and <b>${fmtInt(view.edges.length)}</b> of ${fmtInt(view.totalEdges)} edges</p>`;
    const empty = view.nodes.length === 0 ? '\n<p class="empty">No concepts selected (maxNodes is 0).</p>' : '';
    body = `<header id="panel">
<h1>${escapeHtml(title)}</h1>
${sub}${counts}
${view.nodes.length > 0 ? legendHtml(view) : ''}
<p class="hint">Largest concepts by weighted degree, each with up to ${fmtInt(maxEdges)} strongest edges. Scroll to zoom, drag to pan, double-click to refit; hover a concept for details.</p>
<noscript><p>This view needs JavaScript to draw the graph.</p></noscript>
</header>
<svg id="view" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}"></svg>
<div id="tip" role="tooltip"></div>${empty}`;
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="phago">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script type="application/json" id="phago-graph-data">${scriptJson(view)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
