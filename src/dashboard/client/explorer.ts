import { UndirectedGraph } from 'graphology';
import Sigma from 'sigma';
import { $, esc, getJson, type Neighbour } from './api.js';
import { fan, line, ring, separate, type Point } from './layout.js';

const COLORS = { explored: '#0e7c6b', neighbour: '#94a3b8', path: '#c2410c', edge: '#cbd5e1', pathEdge: '#c2410c' };
const FIRST_RING = 12;
const EXPAND = 8;
const MIN_GAP = 0.3;

interface NodeAttrs {
  x: number;
  y: number;
  size: number;
  label: string;
  color: string;
  explored?: boolean;
}

/**
 * The graph explorer: a sigma.js view over a graphology graph holding only what the user explored.
 * Nodes are keyed by concept label; edge width follows the Hebbian weight.
 */
export class Explorer {
  private readonly graph = new UndirectedGraph<NodeAttrs>();
  private renderer: Sigma<NodeAttrs> | undefined;

  constructor(private readonly container: HTMLElement) {
    try {
      this.renderer = new Sigma(this.graph, container, { labelRenderedSizeThreshold: 0, labelFont: 'system-ui, sans-serif', labelSize: 13, labelDensity: 4, labelGridCellSize: 60, defaultEdgeColor: COLORS.edge, zIndex: true });
      this.renderer.on('clickNode', ({ node }) => void this.run(() => this.expand(node)));
    } catch (e) {
      container.innerHTML = `<p class="error" style="padding:12px">The graph view needs WebGL (${esc(String((e as Error).message))}).</p>`;
    }
  }

  /** Run an action, showing its failure under the explorer's form. */
  async run(fn: () => Promise<void>): Promise<void> {
    $('explore-error').textContent = '';
    try {
      await fn();
    } catch (e) {
      $('explore-error').textContent = (e as Error).message;
    }
  }

  /** A concept and its strongest neighbours, as a fresh picture. */
  async explore(label: string): Promise<void> {
    const r = await getJson<{ neighbours: Neighbour[] }>('/api/neighbours', { label, k: FIRST_RING });
    this.graph.clear();
    this.node(label, { x: 0, y: 0 }, true);
    const maxW = Math.max(...r.neighbours.map((n) => n.weight), 1e-9);
    ring({ x: 0, y: 0 }, 1, r.neighbours.length).forEach((p, i) => this.node(r.neighbours[i].label, p, false));
    for (const n of r.neighbours) this.edge(label, n.label, n.weight / maxW, false);
    this.side(label, r.neighbours);
    this.refresh();
  }

  /** Expand a node in place: its neighbours fan out away from the centre of the picture. */
  async expand(label: string): Promise<void> {
    const r = await getJson<{ neighbours: Neighbour[] }>('/api/neighbours', { label, k: EXPAND });
    if (!this.graph.hasNode(label)) return this.explore(label);
    const at = this.graph.getNodeAttributes(label);
    this.graph.mergeNodeAttributes(label, { explored: true, color: COLORS.explored, size: 12 });
    const fresh = r.neighbours.filter((n) => !this.graph.hasNode(n.label));
    fan({ x: at.x, y: at.y }, { x: 0, y: 0 }, 0.8, fresh.length).forEach((p, i) => this.node(fresh[i].label, p, false));
    const maxW = Math.max(...r.neighbours.map((n) => n.weight), 1e-9);
    for (const n of r.neighbours) this.edge(label, n.label, n.weight / maxW, false);
    this.spread();
    this.side(label, r.neighbours);
    this.refresh();
  }

  /** The strongest chain between two concepts, left to right. */
  async path(from: string, to: string): Promise<void> {
    const r = await getJson<{ found: boolean; cost: number; path: { label: string }[] }>('/api/path', { from, to });
    this.graph.clear();
    if (!r.found) {
      $('side').innerHTML = `<h3>No path</h3><p class="muted">"${esc(from)}" and "${esc(to)}" are in different parts of the graph.</p>`;
      this.refresh();
      return;
    }
    const pts = line({ x: -1, y: 0 }, { x: 1, y: 0 }, r.path.length);
    r.path.forEach((n, i) => this.node(n.label, pts[i], false, COLORS.path));
    for (let i = 1; i < r.path.length; i++) this.edge(r.path[i - 1].label, r.path[i].label, 1, true);
    $('side').innerHTML = `<h3>Path, cost ${r.cost.toFixed(2)}</h3><ol>${r.path.map((n) => `<li data-label="${esc(n.label)}">${esc(n.label)}</li>`).join('')}</ol><p class="muted">Click a node to expand it.</p>`;
    this.bindSide();
    this.refresh();
  }

  /** The most central concepts on a circle, with the edges among them. */
  async central(k = 14): Promise<void> {
    const r = await getJson<{ concepts: { label: string; centrality: number }[] }>('/api/central', { k });
    this.graph.clear();
    ring({ x: 0, y: 0 }, 1, r.concepts.length).forEach((p, i) => this.node(r.concepts[i].label, p, false));
    const labels = new Set(r.concepts.map((c) => c.label));
    const all = await Promise.all(r.concepts.map((c) => getJson<{ neighbours: Neighbour[] }>('/api/neighbours', { label: c.label, k: 50 })));
    const maxW = Math.max(...all.flatMap((a) => a.neighbours.map((n) => n.weight)), 1e-9);
    all.forEach((a, i) => a.neighbours.filter((n) => labels.has(n.label)).forEach((n) => this.edge(r.concepts[i].label, n.label, n.weight / maxW, false)));
    $('side').innerHTML = `<h3>Central concepts</h3><ol>${r.concepts.map((c) => `<li data-label="${esc(c.label)}">${esc(c.label)} <span class="muted">${c.centrality.toFixed(1)}</span></li>`).join('')}</ol>`;
    this.bindSide();
    this.refresh();
  }

  /** Labels drawn now (for tests and screenshots). */
  labels(): string[] {
    return this.graph.mapNodes((n) => n);
  }

  private node(label: string, p: Point, explored: boolean, color?: string): void {
    if (this.graph.hasNode(label)) return;
    this.graph.addNode(label, { x: p.x, y: p.y, label, size: explored ? 12 : 7, color: color ?? (explored ? COLORS.explored : COLORS.neighbour), explored });
  }

  private edge(a: string, b: string, w: number, onPath: boolean): void {
    if (!this.graph.hasNode(a) || !this.graph.hasNode(b) || this.graph.hasEdge(a, b)) return;
    this.graph.addEdge(a, b, { size: 0.8 + 4 * w, color: onPath ? COLORS.pathEdge : COLORS.edge });
  }

  /** Keep nodes apart; explored ones stay where they are. */
  private spread(): void {
    const ids = this.graph.nodes();
    const pts = separate(ids.map((id) => this.graph.getNodeAttributes(id)), ids.map((id) => !!this.graph.getNodeAttribute(id, 'explored')), MIN_GAP);
    ids.forEach((id, i) => this.graph.mergeNodeAttributes(id, pts[i]));
  }

  private side(label: string, ns: Neighbour[]): void {
    $('side').innerHTML = `<h3>${esc(label)}</h3>${ns.length === 0 ? '<p class="muted">No neighbours.</p>' : `<ol>${ns.map((n) => `<li data-label="${esc(n.label)}">${esc(n.label)} <span class="muted">${n.weight.toFixed(3)} · ${n.coActivations}×</span></li>`).join('')}</ol>`}<p class="muted">weight · co-activations. Click to expand.</p>`;
    this.bindSide();
  }

  private bindSide(): void {
    for (const li of $('side').querySelectorAll<HTMLElement>('li[data-label]')) li.onclick = () => void this.run(() => this.expand(li.dataset.label!));
  }

  private refresh(): void {
    this.renderer?.refresh();
    this.renderer?.getCamera().animatedReset({ duration: 300 });
    this.container.dataset.nodes = String(this.graph.order);
  }
}
