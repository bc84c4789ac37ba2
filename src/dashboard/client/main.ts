import type { FeedEvent } from '../feed.js';
import { $, esc, getJson } from './api.js';
import { Explorer } from './explorer.js';

const num = (n: number) => n.toLocaleString('en-US');
/**
 * Server clock minus ours: heartbeat ages are measured on the server's clock. (The browser's wall
 * clock only ages what is shown, "3.2 s ago"; nothing of the colony depends on it.)
 */
let skew = 0;
let shardsShown: { id: number; lastHeartbeatMs: number }[] = [];

function age(ms: number): string {
  if (!ms) return '–';
  const s = Math.max(0, (Date.now() + skew - ms) / 1000);
  return s < 60 ? `${s.toFixed(1)} s ago` : `${Math.floor(s / 60)} min ago`;
}

function renderCluster(e: FeedEvent): void {
  skew = e.now - Date.now();
  if (e.error !== undefined) {
    $('cluster-error').textContent = `cannot read the cluster: ${e.error}`;
    return;
  }
  $('cluster-error').textContent = e.failure ? `last aborted tick attempt: ${e.failure}` : '';
  const s = e.stats;
  $('t-documents').textContent = num(s.documents);
  $('t-pending').textContent = s.pending > 0 ? `(${num(s.pending)} pending)` : '';
  $('t-nodes').textContent = num(s.nodes);
  $('t-edges').textContent = num(s.edges);
  $('t-tick').textContent = num(e.tick);
  $('t-phase').textContent = e.inProgress ? e.phase : 'idle';
  $('t-epoch').textContent = e.mode === 'cluster' ? num(e.epoch) : '–';
  $('h-tick').textContent = num(e.tick);
  $('h-phase').textContent = e.inProgress ? `tick ${e.tick + 1}: ${e.phase}` : 'idle';
  $('mode').textContent = e.mode === 'cluster' ? `${e.shards.length} shard${e.shards.length === 1 ? '' : 's'}` : 'single process';
  const body = $('shards').querySelector('tbody')!;
  shardsShown = e.shards;
  body.innerHTML =
    e.mode === 'cluster'
      ? e.shards.map((x) => `<tr data-shard="${x.id}"><td>#${x.id}</td><td>${esc(x.address)}</td><td><span class="badge ${esc(x.status)}">${esc(x.status)}</span></td><td class="n">${num(x.documents)}</td><td class="n">${num(x.concepts)}</td><td class="n">${num(x.edges)}</td><td class="n" data-hb="${x.id}">${age(x.lastHeartbeatMs)}</td></tr>`).join('')
      : '<tr><td colspan="7" class="muted">a single-process colony: no shards</td></tr>';
  document.body.dataset.clusterReady = '1';
}

function tickAges(): void {
  for (const x of shardsShown) {
    const td = document.querySelector<HTMLElement>(`[data-hb="${x.id}"]`);
    if (td) td.textContent = age(x.lastHeartbeatMs);
  }
}

function bar(score: number, top: number): string {
  return `<span class="bar"><i style="width:${Math.max(4, Math.round((90 * score) / (top || 1)))}px"></i>${score.toFixed(3)}</span>`;
}

interface QueryAnswer {
  documents: { key: string; title: string; score: number }[];
  concepts: { label: string; score: number }[];
  missingShards: number[];
}

async function runQuery(explorer: Explorer): Promise<void> {
  const q = $<HTMLInputElement>('q').value.trim();
  $('query-error').textContent = '';
  if (!q) return;
  try {
    const r = await getJson<QueryAnswer>('/api/query', { q, k: $<HTMLSelectElement>('k').value });
    const dTop = r.documents[0]?.score ?? 1;
    const cTop = r.concepts[0]?.score ?? 1;
    $('doc-hits').innerHTML = r.documents.length ? r.documents.map((h, i) => `<li><span class="rank">${i + 1}</span><span class="title">${esc(h.title || h.key)}${h.title && h.title !== h.key ? `<span class="key">${esc(h.key)}</span>` : ''}</span>${bar(h.score, dTop)}</li>`).join('') : '<li class="muted" style="display:block">No documents.</li>';
    $('concept-hits').innerHTML = r.concepts.length ? r.concepts.map((h, i) => `<li class="concept" data-label="${esc(h.label)}" title="explore ${esc(h.label)}"><span class="rank">${i + 1}</span><span class="title">${esc(h.label)}</span>${bar(h.score, cTop)}</li>`).join('') : '<li class="muted" style="display:block">No concepts.</li>';
    for (const li of $('concept-hits').querySelectorAll<HTMLElement>('li[data-label]'))
      li.onclick = () => {
        $<HTMLInputElement>('concept').value = li.dataset.label!;
        void explorer.run(() => explorer.explore(li.dataset.label!));
        $('explorer').scrollIntoView({ behavior: 'smooth' });
      };
    if (r.missingShards.length) $('query-error').textContent = `partial answer: shard(s) ${r.missingShards.join(', ')} did not answer in time`;
    document.body.dataset.queryDone = String(Number(document.body.dataset.queryDone ?? 0) + 1);
  } catch (e) {
    $('query-error').textContent = (e as Error).message;
  }
}

function live(ok: boolean): void {
  $('live').className = `dot ${ok ? 'live' : 'down'}`;
  $('live-text').textContent = ok ? 'live' : 'reconnecting…';
}

function start(): void {
  const explorer = new Explorer($('graph'));
  (window as unknown as { phago: unknown }).phago = { explorer };
  $('query-form').onsubmit = (ev) => {
    ev.preventDefault();
    void runQuery(explorer);
  };
  $('explore-form').onsubmit = (ev) => {
    ev.preventDefault();
    const label = $<HTMLInputElement>('concept').value.trim();
    if (label) void explorer.run(() => explorer.explore(label));
  };
  $('path-btn').onclick = () => {
    const from = $<HTMLInputElement>('from').value.trim();
    const to = $<HTMLInputElement>('to').value.trim();
    if (from && to) void explorer.run(() => explorer.path(from, to));
    else $('explore-error').textContent = 'give two concepts: from and to';
  };
  $('central-btn').onclick = () => void explorer.run(() => explorer.central());

  // the cluster: one read now, then server-sent events (EventSource reconnects by itself)
  void getJson<FeedEvent>('/api/cluster').then(renderCluster, (e: Error) => ($('cluster-error').textContent = e.message));
  const events = new EventSource('/api/events');
  events.addEventListener('cluster', (m) => renderCluster(JSON.parse((m as MessageEvent<string>).data) as FeedEvent));
  events.onopen = () => live(true);
  events.onerror = () => live(false);
  setInterval(tickAges, 1000);

  // deep links: ?q=…[&k=5|10|20] runs a query, ?concept=… explores it; otherwise the central concepts
  const params = new URLSearchParams(location.search);
  if (['5', '10', '20'].includes(params.get('k') ?? '')) $<HTMLSelectElement>('k').value = params.get('k')!;
  if (params.get('q')) {
    $<HTMLInputElement>('q').value = params.get('q')!;
    void runQuery(explorer);
  }
  const concept = params.get('concept');
  if (concept) {
    $<HTMLInputElement>('concept').value = concept;
    void explorer.run(() => explorer.explore(concept));
  } else void explorer.run(() => explorer.central());
}

start();
