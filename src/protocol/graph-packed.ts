import type { ConceptGraph } from '../core/graph.js';
import { CodecError, Reader, Writer } from './codec.js';

/**
 * A shard's part of the concept graph (GraphExport.packed) in one buffer: its concepts and the edges
 * whose smaller endpoint it owns (each edge of a cluster once), with labels in a dictionary.
 *
 *   1, nLabels, {len, bytes}×nLabels,
 *   nNodes, {label, accessCount, createdTick}×nNodes,
 *   nEdges, {labelA, labelB, weight f64, coActivations, createdTick, lastActivatedTick}×nEdges
 *
 * Integers are varints, the weight a little-endian float64 (the stored weight, exactly). As repeated
 * protobuf messages, a gathered WordNet graph (354,000 edges) made three objects and two label
 * strings per edge on each side. Decoding refuses (CodecError) a wrong version, a truncated buffer,
 * trailing bytes, a label index out of range and a label that is empty, too long, not UTF-8 or holds a
 * control character.
 */
const GRAPH = 1;

export interface GraphPart {
  labels: string[];
  /** Per node: its label's index, access count and creation tick. */
  nodeLabel: Int32Array;
  nodeAccess: Float64Array;
  nodeCreated: Float64Array;
  /** Per edge: its endpoints' label indices (a: the smaller NodeId) and its stored state. */
  edgeA: Int32Array;
  edgeB: Int32Array;
  weight: Float64Array;
  coActivations: Float64Array;
  edgeCreated: Float64Array;
  lastActivated: Float64Array;
}

/** The concepts a holder keeps and the edges whose first endpoint it owns. */
export function encodeGraphPart(g: ConceptGraph): Buffer {
  const index = new Int32Array(g.labelCount).fill(-1);
  const dict: number[] = [];
  const of = (n: number) => {
    if (index[n] === -1) index[n] = dict.push(n) - 1;
    return index[n];
  };
  const nodes: number[] = [];
  for (const n of g.nodeNumbers()) nodes.push(n, of(n));
  const edges: number[] = [];
  for (const e of g.edgeNumbers()) {
    const a = g.endpointA(e);
    if (!g.isOwned(a)) continue;
    edges.push(e, of(a), of(g.endpointB(e)));
  }
  const w = new Writer(64 + dict.length * 16 + nodes.length * 4 + edges.length * 8);
  w.varint(GRAPH);
  w.varint(dict.length);
  for (const n of dict) w.string(g.labelOf(n));
  w.varint(nodes.length / 2);
  for (let i = 0; i < nodes.length; i += 2) {
    const row = g.node(nodes[i])!;
    w.varint(nodes[i + 1]);
    w.varint(row.accessCount);
    w.varint(row.createdTick);
  }
  w.varint(edges.length / 3);
  for (let i = 0; i < edges.length; i += 3) {
    const row = g.edgeRow(edges[i]);
    w.varint(edges[i + 1]);
    w.varint(edges[i + 2]);
    w.f64(row.weight);
    w.varint(row.coActivations);
    w.varint(row.createdTick);
    w.varint(row.lastActivatedTick);
  }
  return w.done();
}

export function decodeGraphPart(buf: Uint8Array): GraphPart {
  // a shard always sends the layout; nothing at all is a reply without the field (a shard of another version)
  if (buf.length === 0) throw new CodecError('no packed graph in the reply (a shard of another phago version?)');
  const r = new Reader(buf);
  if (r.varint() !== GRAPH) throw new CodecError('not a graph layout');
  const nLabels = r.varint();
  if (nLabels > buf.length) throw new CodecError('truncated graph');
  const labels: string[] = [];
  for (let i = 0; i < nLabels; i++) labels.push(r.label());
  const label = () => {
    const i = r.varint();
    if (i >= nLabels) throw new CodecError(`label index ${i} out of range (${nLabels} labels)`);
    return i;
  };
  const nNodes = r.varint();
  if (nNodes > buf.length) throw new CodecError('truncated graph');
  const nodeLabel = new Int32Array(nNodes);
  const nodeAccess = new Float64Array(nNodes);
  const nodeCreated = new Float64Array(nNodes);
  for (let i = 0; i < nNodes; i++) {
    nodeLabel[i] = label();
    nodeAccess[i] = r.varint();
    nodeCreated[i] = r.varint();
  }
  const nEdges = r.varint();
  if (nEdges > buf.length) throw new CodecError('truncated graph');
  const edgeA = new Int32Array(nEdges);
  const edgeB = new Int32Array(nEdges);
  const weight = new Float64Array(nEdges);
  const coActivations = new Float64Array(nEdges);
  const edgeCreated = new Float64Array(nEdges);
  const lastActivated = new Float64Array(nEdges);
  for (let i = 0; i < nEdges; i++) {
    edgeA[i] = label();
    edgeB[i] = label();
    weight[i] = r.f64();
    coActivations[i] = r.varint();
    edgeCreated[i] = r.varint();
    lastActivated[i] = r.varint();
  }
  r.end();
  return { labels, nodeLabel, nodeAccess, nodeCreated, edgeA, edgeB, weight, coActivations, edgeCreated, lastActivated };
}

/** Install a decoded part into a graph (the coordinator's gathered graph); `tick` is the last committed tick. */
export function installGraphPart(g: ConceptGraph, p: GraphPart, tick: number): void {
  const { labels } = p;
  for (let i = 0; i < p.nodeLabel.length; i++) g.installNode({ id: '', label: labels[p.nodeLabel[i]], accessCount: p.nodeAccess[i], createdTick: p.nodeCreated[i] });
  for (let i = 0; i < p.edgeA.length; i++) {
    g.installEdge(labels[p.edgeA[i]], labels[p.edgeB[i]], { weight: p.weight[i], coActivations: p.coActivations[i], createdTick: p.edgeCreated[i], lastActivatedTick: p.lastActivated[i] }, tick);
  }
}
