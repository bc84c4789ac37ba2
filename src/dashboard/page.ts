const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2433;--mute:#667085;--line:#e4e7ec;--accent:#0e7c6b;--accent2:#c2410c;--soft:#e7f4f1}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:var(--bg);color:var(--ink)}
header{display:flex;align-items:center;gap:16px;padding:14px 28px;background:#111827;color:#f9fafb}
header h1{margin:0;font-size:20px;letter-spacing:.5px}
header .sub{color:#9ca3af}
header .right{margin-left:auto;display:flex;gap:18px;align-items:center;color:#d1d5db}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;background:#9ca3af;margin-right:6px}
.dot.live{background:#22c55e;box-shadow:0 0 0 3px rgba(34,197,94,.25)}
.dot.down{background:#f59e0b}
main{max-width:1280px;margin:0 auto;padding:22px 28px 40px;display:grid;gap:20px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
h2{margin:0 0 14px;font-size:15px;text-transform:uppercase;letter-spacing:.8px;color:var(--mute)}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;margin-bottom:16px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.tile .l{color:var(--mute);font-size:12px}
table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line)}
th{color:var(--mute);font-weight:550;font-size:12px}
td.n,th.n{text-align:right}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#eef2f6;color:#344054}
.badge.ONLINE{background:#dcfce7;color:#166534}.badge.SUSPECT{background:#fef3c7;color:#92400e}.badge.OFFLINE{background:#fee2e2;color:#991b1b}.badge.DRAINING{background:#e0e7ff;color:#3730a3}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
input,select,button{font:inherit;padding:7px 10px;border:1px solid #cfd4dc;border-radius:7px;background:#fff;color:var(--ink)}
input{min-width:0}
button{background:var(--accent);border-color:var(--accent);color:#fff;font-weight:600;cursor:pointer}
button.ghost{background:#fff;color:var(--accent)}
.cols{display:grid;grid-template-columns:3fr 2fr;gap:22px;margin-top:14px}
ol.hits{list-style:none;margin:0;padding:0}
ol.hits li{display:grid;grid-template-columns:26px 1fr 150px;gap:8px;align-items:center;padding:6px 0;border-bottom:1px solid var(--line)}
ol.hits .rank{color:var(--mute);text-align:right}
ol.hits .title{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
ol.hits .key{color:var(--mute);font-size:12px;margin-left:6px}
.bar{display:flex;align-items:center;gap:6px;font-size:12px;color:var(--mute);font-variant-numeric:tabular-nums}
.bar i{display:block;height:7px;border-radius:4px;background:var(--accent);opacity:.75}
.concept{cursor:pointer}.concept:hover .title{color:var(--accent);text-decoration:underline}
.muted{color:var(--mute)}
.explorer{display:grid;grid-template-columns:1fr 260px;gap:16px;margin-top:14px}
#graph{height:560px;border:1px solid var(--line);border-radius:8px;background:#fcfcfd;position:relative}
#side{border:1px solid var(--line);border-radius:8px;padding:12px 14px;overflow:auto;max-height:560px}
#side h3{margin:0 0 8px;font-size:15px}
#side ol{margin:0;padding-left:20px}#side li{padding:2px 0;cursor:pointer}#side li:hover{color:var(--accent)}
.legend{display:flex;gap:14px;color:var(--mute);font-size:12px;margin-top:8px}
.legend b{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:-1px}
.error{color:#b42318;margin-top:8px;min-height:1em}
.sep{width:1px;height:24px;background:var(--line);margin:0 6px}
`;

/** The dashboard's HTML: a shell the bundled script fills from the JSON endpoints. */
export function dashboardPage(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${esc(title)} · phago dashboard</title><style>${CSS}</style></head>
<body>
<header><h1>phago</h1><span class="sub">${esc(title)}</span>
<div class="right"><span id="mode" class="muted"></span><span>tick <b id="h-tick">–</b></span><span id="h-phase">–</span><span><span id="live" class="dot"></span><span id="live-text">connecting</span></span></div></header>
<main>
<section id="cluster"><h2>Cluster</h2>
<div class="tiles">
<div class="tile"><div class="v" id="t-documents">–</div><div class="l">documents <span id="t-pending"></span></div></div>
<div class="tile"><div class="v" id="t-nodes">–</div><div class="l">concepts</div></div>
<div class="tile"><div class="v" id="t-edges">–</div><div class="l">Hebbian edges</div></div>
<div class="tile"><div class="v" id="t-tick">–</div><div class="l">committed tick</div></div>
<div class="tile"><div class="v" id="t-phase">–</div><div class="l">phase</div></div>
<div class="tile"><div class="v" id="t-epoch">–</div><div class="l">membership epoch</div></div>
</div>
<table id="shards"><thead><tr><th>shard</th><th>address</th><th>status</th><th class="n">documents</th><th class="n">concepts</th><th class="n">edges</th><th class="n">last heartbeat</th></tr></thead><tbody></tbody></table>
<div id="cluster-error" class="error"></div>
</section>
<section id="search"><h2>Search</h2>
<form id="query-form"><input id="q" name="q" placeholder="e.g. cell membrane transport" size="44" autocomplete="off">
<select id="k"><option>5</option><option selected>10</option><option>20</option></select><button type="submit">Search</button></form>
<div id="query-error" class="error"></div>
<div class="cols"><div><h2>Documents</h2><ol id="doc-hits" class="hits"><li class="muted" style="display:block">Type a query above.</li></ol></div>
<div><h2>Concepts</h2><ol id="concept-hits" class="hits"></ol></div></div>
</section>
<section id="explorer"><h2>Graph explorer</h2>
<form id="explore-form"><input id="concept" placeholder="concept, e.g. qubit" size="22" autocomplete="off"><button type="submit">Explore</button>
<span class="sep"></span><input id="from" placeholder="from" size="14" autocomplete="off"><input id="to" placeholder="to" size="14" autocomplete="off"><button type="button" id="path-btn" class="ghost">Find path</button>
<span class="sep"></span><button type="button" id="central-btn" class="ghost">Central concepts</button></form>
<div id="explore-error" class="error"></div>
<div class="explorer"><div id="graph"></div><div id="side"><h3>Click a node</h3><p class="muted">Search a concept to see its neighbourhood; click a node to expand it and list its neighbours here.</p></div></div>
<div class="legend"><span><b style="background:#0e7c6b"></b>explored</span><span><b style="background:#94a3b8"></b>neighbour</span><span><b style="background:#c2410c"></b>path</span><span>edge width: Hebbian weight</span></div>
</section>
</main>
<script src="/assets/dashboard.js"></script>
</body></html>`;
}
