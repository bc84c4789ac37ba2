import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { makeConfig } from '../src/core/config.js';
import { documentIdOf, nodeIdOf } from '../src/ids/ids.js';
import { encodePairs, encodePresentations } from '../src/protocol/codec.js';
import { coordinatorService, shardService } from '../src/rpc/proto.js';
import { coordinatorRequests, parse, shardRequests } from '../src/rpc/schemas.js';
import { RpcError } from '../src/rpc/server.js';

/**
 * Every request message of both services: a valid request, sent through the proto loader's encoder
 * and decoder (the values a handler gets), parses; each invalid field is INVALID_ARGUMENT naming it.
 */

const DOC = documentIdOf('d1');
const NODE_A = nodeIdOf('cell');
const NODE_B = nodeIdOf('membrane');
/** A uint64 past 2^53: the loader hands it over as an unsafe number. */
const HUGE = '18446744073709551615';
const BIG = 'x'.repeat(16 * 1024);

type Msg = Record<string, unknown>;

interface Invalid {
  /** The field path the message must name. */
  field: string;
  /** Fields replaced in the valid request. */
  patch: Msg;
  /** Applied to the decoded request (a value the wire cannot carry), not sent through the encoder. */
  direct?: boolean;
  /** What else the message must say. */
  says?: RegExp;
}

interface Case {
  service: 'coordinator' | 'shard';
  method: string;
  valid: Msg[];
  invalid: Invalid[];
  /** Checks of the parsed value of valid[0]. */
  check?: (parsed: Msg) => void;
}

const member = { id: 1, address: '127.0.0.1:7001' };
const doc = { id: 'd1', title: 't', text: 'some words' };
const storedDoc = { id: DOC, key: 'd1', title: '', text: 'some words', ingest_tick: 0, digested: true, digested_tick: 2 };
const node = { id: NODE_A, label: 'cell', access_count: 1, created_tick: 1 };
const edge = { a: NODE_A, b: NODE_B, weight: 0.5, co_activations: 1, created_tick: 1, last_activated_tick: 3, label_a: 'cell', label_b: 'membrane' };
const weighted = { term: 'cell', weight: 1, original: true };
const stats = { documents: 5, total_length: 50, df: { cell: 2 } };
const phaseReport = { shard_id: 1, phase: 'ACT', tick: 4, attempt: 2 };
const phaseInvalid: Invalid[] = [
  { field: 'shard_id', patch: { shard_id: 0 } },
  { field: 'phase', patch: { phase: 'TICK_PHASE_UNSPECIFIED' }, says: /SENSE, ACT, DECAY, ADVANCE/ },
  { field: 'phase', patch: { phase: 9 } },
  { field: 'tick', patch: { tick: 0 }, says: /positive integer, got 0$/ },
  { field: 'tick', patch: { tick: HUGE } },
  { field: 'attempt', patch: { attempt: 0 }, says: /attempt must be a positive integer/ },
];
const emptyInvalid: Invalid[] = [{ field: 'request', patch: {}, direct: true }];

const cases: Case[] = [
  // ---- CoordinatorService
  {
    service: 'coordinator',
    method: 'register',
    valid: [{ address: '127.0.0.1:7001', identity: 'shard-a' }, { address: 'shard-2.local:65535', identity: '', status: 'ONLINE', node_count: 5 }],
    invalid: [
      { field: 'address', patch: { address: 'no port here' }, says: /host:port, got "no port here"/ },
      { field: 'address', patch: { address: '' } },
    ],
  },
  { service: 'coordinator', method: 'unregister', valid: [{ id: 3 }], invalid: [{ field: 'id', patch: { id: 0 }, says: /shard id/ }] },
  { service: 'coordinator', method: 'remove_shard', valid: [{ id: 3 }, { id: 3, confirm_loss: true }], invalid: [{ field: 'id', patch: { id: 0 }, says: /shard id/ }] },
  { service: 'coordinator', method: 'phase_complete', valid: [phaseReport], invalid: phaseInvalid, check: (r) => assert.deepEqual(r, phaseReport) },
  { service: 'coordinator', method: 'barrier_ready', valid: [phaseReport], invalid: phaseInvalid },
  {
    service: 'coordinator',
    method: 'route_document',
    valid: [{ uuid: DOC.toUpperCase() }],
    invalid: [
      { field: 'uuid', patch: { uuid: 'not-a-uuid' }, says: /document id written as a UUID/ },
      { field: 'uuid', patch: { uuid: '' } },
    ],
    check: (r) => assert.equal(r.uuid, DOC),
  },
  { service: 'coordinator', method: 'route_node', valid: [{ uuid: NODE_A }], invalid: [{ field: 'uuid', patch: { uuid: 'xyz' }, says: /node id/ }] },
  {
    service: 'coordinator',
    method: 'get_global_df',
    valid: [{ terms: ['cell', 'membrane'] }, {}],
    invalid: [{ field: 'terms', patch: { terms: Array.from({ length: 100_001 }, () => 't') }, says: /at most 100000 terms per call, got a list of 100001/ }],
  },
  { service: 'coordinator', method: 'current_tick', valid: [{}], invalid: emptyInvalid },
  { service: 'coordinator', method: 'list_shards', valid: [{}], invalid: emptyInvalid },
  { service: 'coordinator', method: 'start_tick', valid: [{}], invalid: emptyInvalid },
  { service: 'coordinator', method: 'tick_status', valid: [{}], invalid: emptyInvalid },
  {
    service: 'coordinator',
    method: 'ingest',
    valid: [{ docs: [doc, { title: '', text: 'no id: the content id' }, { id: '', text: 'an empty id is the ingest rule to refuse' }] }],
    invalid: [
      { field: 'docs', patch: { docs: [] }, says: /no documents/ },
      { field: 'docs', patch: { docs: Array.from({ length: 10_001 }, () => doc) }, says: /at most 10000 documents/ },
      { field: 'docs[1].text', patch: { docs: [doc, { title: '', text: 7 }] }, direct: true },
      { field: 'docs[0].id', patch: { docs: [{ id: 5, title: '', text: 'x' }] }, direct: true },
    ],
    check: (r) => {
      const docs = r.docs as Msg[];
      assert.deepEqual(docs[0], doc); // the loader's virtual oneof field `_id` is not there
      assert.equal(docs[1].id, undefined);
      assert.ok(!('id' in docs[1]));
      assert.equal(docs[2].id, '');
    },
  },
  {
    service: 'coordinator',
    method: 'query',
    valid: [
      { text: 'cell membrane', k: 5, concepts: true, alpha: 0.3, has_alpha: true, deadline_ms: 100 },
      { text: 'cell', alpha: 7 }, // alpha without has_alpha is not read
      { text: 'cell', alpha: NaN },
    ],
    invalid: [
      { field: 'alpha', patch: { alpha: 7 }, says: /alpha.*\[0, 1\].*got 7/ },
      { field: 'alpha', patch: { alpha: NaN } },
      { field: 'alpha', patch: { alpha: -Infinity } },
    ],
  },
  {
    service: 'coordinator',
    method: 'explore',
    valid: [{ kind: 'path', from: 'cell', to: 'membrane', k: 3 }, { kind: 'neighbors', from: 'cell' }, { kind: 'central' }, { kind: 'bridges' }],
    invalid: [
      { field: 'kind', patch: { kind: 'nonsense' }, says: /neighbours, path, central or bridges, got "nonsense"/ },
      { field: 'kind', patch: { kind: '' } },
    ],
  },
  {
    service: 'coordinator',
    method: 'run_ticks',
    valid: [{ ticks: 5 }, { ticks: 2_000_000, until_digested: true }],
    invalid: [{ field: 'ticks', patch: { ticks: 1_000_001 }, says: /\[0, 1000000\], got 1000001/ }],
  },
  { service: 'coordinator', method: 'stats', valid: [{ with_graph_hash: true }, {}], invalid: [{ field: 'with_graph_hash', patch: { with_graph_hash: 'yes' }, direct: true }] },
  { service: 'coordinator', method: 'health', valid: [{}], invalid: emptyInvalid },
  {
    service: 'coordinator',
    method: 'report_df',
    valid: [{ shard_id: 1, epoch: 2, df: { cell: 3, membrane: 0 }, documents: 1, total_length: 10, batch: 4 }],
    invalid: [
      { field: 'shard_id', patch: { shard_id: 0 } },
      { field: 'df.cell', patch: { df: { cell: HUGE } } },
      { field: 'df.cell', patch: { df: { cell: -1 } }, direct: true, says: /non-negative/ },
      { field: 'documents', patch: { documents: HUGE } },
      { field: 'total_length', patch: { total_length: -5 }, direct: true },
      { field: 'batch', patch: { batch: 1.5 }, direct: true },
      { field: 'df_removed.cell', patch: { df_removed: { cell: -1 } }, direct: true, says: /non-negative/ },
      { field: 'documents_removed', patch: { documents_removed: -1 }, direct: true },
    ],
  },
  {
    service: 'coordinator',
    method: 'forget',
    valid: [{ ids: ['d1', DOC] }, { ids: [] }],
    invalid: [
      { field: 'ids', patch: { ids: 'd1' }, direct: true, says: /list of document ids/ },
      { field: 'ids[0]', patch: { ids: [5] }, direct: true },
    ],
  },
  {
    service: 'coordinator',
    method: 'heartbeat',
    valid: [{ shard_id: 2, node_count: 10, edge_count: 20, document_count: 3, digested_count: 2, pending_count: 1 }],
    invalid: [
      { field: 'shard_id', patch: { shard_id: 0 } },
      { field: 'pending_count', patch: { pending_count: HUGE } },
      { field: 'node_count', patch: { node_count: -1 }, direct: true },
    ],
  },
  {
    service: 'coordinator',
    method: 'follower_failed',
    valid: [{ shard_id: 2, identity: 'shard-b', reason: 'replicate: UNAVAILABLE' }],
    invalid: [
      { field: 'shard_id', patch: { shard_id: 0 } },
      { field: 'identity', patch: { identity: '' } },
    ],
  },
  // ---- ShardService
  {
    service: 'shard',
    method: 'ingest_document',
    valid: [{ epoch: 1, tick: 0, docs: [doc] }, { epoch: 1, tick: 0, check_only: true, check_ids: [DOC] }],
    invalid: [
      { field: 'tick', patch: { tick: HUGE } },
      { field: 'epoch', patch: { epoch: HUGE } },
      { field: 'docs[0].title', patch: { docs: [{ title: null, text: 'x' }] }, direct: true },
      { field: 'check_ids[0]', patch: { check_only: true, check_ids: ['not-a-uuid'] }, says: /document id/ },
    ],
  },
  {
    service: 'shard',
    method: 'forget_documents',
    valid: [{ epoch: 1, tick: 2, ids: [DOC], check_only: true, missing_ok: false }],
    invalid: [
      { field: 'ids[0]', patch: { ids: ['not-a-uuid'] } },
      { field: 'epoch', patch: { epoch: HUGE } },
      { field: 'missing_ok', patch: { missing_ok: 'yes' }, direct: true },
    ],
  },
  {
    service: 'shard',
    method: 'tick_phase',
    valid: [{ tick: 3, phase: 'ACT', epoch: 1, digest_count: 5, attempt: 1 }, { tick: 1, phase: 'SENSE', epoch: 1, attempt: 1 }],
    invalid: [
      { field: 'tick', patch: { tick: 0 } },
      { field: 'phase', patch: { phase: 'TICK_PHASE_UNSPECIFIED' } },
      { field: 'digest_count', patch: { digest_count: -1 }, direct: true },
      { field: 'attempt', patch: { attempt: 0 } },
    ],
    check: (r) => assert.equal(r.digest_count, 5),
  },
  {
    service: 'shard',
    method: 'abort_tick',
    valid: [{ tick: 3, reason: 'test', attempt: 2 }],
    invalid: [
      { field: 'tick', patch: { tick: 0 } },
      { field: 'attempt', patch: { attempt: 0 } },
    ],
  },
  {
    service: 'shard',
    method: 'commit_tick',
    valid: [{ tick: 3, attempt: 2 }],
    invalid: [
      { field: 'tick', patch: { tick: HUGE } },
      { field: 'attempt', patch: { attempt: 0 } },
    ],
  },
  {
    service: 'shard',
    method: 'deliver_deltas',
    valid: [{ tick: 1, epoch: 1, from: 2, batch: 0, presentations: encodePresentations([{ labels: ['cell', 'membrane'], wired: 2 }]), attempt: 1 }, { tick: 1, attempt: 1 }],
    invalid: [
      { field: 'attempt', patch: { attempt: 0 } },
      { field: 'tick', patch: { tick: 0 } },
      { field: 'presentations', patch: { presentations: 'not bytes' }, direct: true, says: /bytes/ },
    ],
    check: (r) => assert.ok(Buffer.isBuffer(r.presentations) && r.presentations.length > 0),
  },
  {
    service: 'shard',
    method: 'receive_signals',
    valid: [{ tick: 1, epoch: 1, from: 2, pairs: encodePairs([['cell', 'membrane']]), attempt: 1 }],
    invalid: [
      { field: 'attempt', patch: { attempt: 0 } },
      { field: 'pairs', patch: { pairs: [1, 2] }, direct: true },
    ],
  },
  {
    service: 'shard',
    method: 'local_query',
    valid: [
      { terms: ['cell'], k: 10, concepts: false, stats, weighted: [weighted], coordination: true },
      { terms: ['cell'], k: 5, concepts: true }, // concepts: no statistics needed
      { terms: ['cell'], k: 5, concepts: true, weighted: [{ term: 'x', weight: NaN }] }, // nor weights (not read)
    ],
    invalid: [
      { field: 'stats', patch: { stats: undefined }, says: /needs the cluster statistics, got null/ },
      { field: 'weighted[1].weight', patch: { weighted: [weighted, { term: 'x', weight: -1 }] }, says: /finite number >= 0, got -1/ },
      { field: 'weighted[0].weight', patch: { weighted: [{ term: 'x', weight: NaN }] } },
      { field: 'weighted[0].weight', patch: { weighted: [{ term: 'x', weight: Infinity }] } },
      { field: 'stats.documents', patch: { stats: { ...stats, documents: HUGE } } },
      { field: 'stats.total_length', patch: { stats: { ...stats, total_length: -1 } }, direct: true },
      { field: 'stats.df.cell', patch: { stats: { ...stats, df: { cell: HUGE } } } },
    ],
    check: (r) => assert.deepEqual(r.stats, stats),
  },
  {
    service: 'shard',
    method: 'get_term_frequencies',
    valid: [{ terms: ['cell'] }],
    invalid: [{ field: 'terms', patch: { terms: Array.from({ length: 100_001 }, () => 't') } }],
  },
  { service: 'shard', method: 'get_node', valid: [{ uuid: NODE_A }], invalid: [{ field: 'uuid', patch: { uuid: 'xyz' } }] },
  {
    service: 'shard',
    method: 'resolve_ghost_nodes',
    valid: [{ ids: [NODE_A.toUpperCase(), NODE_B] }],
    invalid: [
      { field: 'ids[1]', patch: { ids: [NODE_A, 'x'] } },
      { field: 'ids', patch: { ids: Array.from({ length: 100_001 }, () => NODE_A) }, says: /at most 100000 ids/ },
    ],
    check: (r) => assert.deepEqual(r.ids, [NODE_A, NODE_B]),
  },
  { service: 'shard', method: 'get_neighbors', valid: [{ id: NODE_A, k: 0 }], invalid: [{ field: 'id', patch: { id: 'cell' } }] },
  { service: 'shard', method: 'export_graph', valid: [{}], invalid: emptyInvalid },
  {
    service: 'shard',
    method: 'update_membership',
    valid: [
      { epoch: 2, members: [member], you: 1, config_json: JSON.stringify(makeConfig({ seed: 7 })), tick: 0 },
      { epoch: 2, members: [member], you: 1, tick: 9 },
    ],
    invalid: [
      { field: 'config_json', patch: { config_json: '{not json' }, says: /JSON.*got "\{not json"/ },
      { field: 'config_json', patch: { config_json: '[1]' } },
      { field: 'config_json', patch: { config_json: '{"digestPerTick":0}' }, says: /digestPerTick/ },
      { field: 'config_json', patch: { config_json: '{"nonsense":1}' }, says: /unknown config field/ },
      { field: 'members[0].id', patch: { members: [{ id: -1, address: 'x:1' }] }, direct: true },
      { field: 'tick', patch: { tick: HUGE } },
    ],
    check: (r) => {
      assert.deepEqual(r.config, makeConfig({ seed: 7 }));
      assert.ok(!('config_json' in r));
    },
  },
  { service: 'shard', method: 'migrate_out', valid: [{ epoch: 3, members: [member] }], invalid: [{ field: 'epoch', patch: { epoch: HUGE } }] },
  {
    service: 'shard',
    method: 'migrate_in',
    valid: [{ epoch: 3, from: 1, docs: [storedDoc], nodes: [node], edges: [edge] }, { epoch: 3, from: 1 }],
    invalid: [
      { field: 'docs[0].id', patch: { docs: [{ ...storedDoc, id: 'd1' }] }, says: /document id/ },
      { field: 'nodes[0].label', patch: { nodes: [{ ...node, label: '' }] }, says: /non-empty label/ },
      { field: 'nodes[0].label', patch: { nodes: [{ ...node, label: 'l'.repeat(1025) }] } },
      { field: 'nodes[0].id', patch: { nodes: [{ ...node, id: 'n' }] } },
      { field: 'edges[0].label_b', patch: { edges: [{ ...edge, label_b: '' }] } },
      { field: 'edges[0].weight', patch: { edges: [{ ...edge, weight: -0.5 }] } },
      { field: 'edges[0].a', patch: { edges: [{ ...edge, a: 'cell' }] } },
    ],
  },
  { service: 'shard', method: 'abort_migration', valid: [{ epoch: 3 }], invalid: [{ field: 'epoch', patch: { epoch: HUGE } }] },
  { service: 'shard', method: 'health_check', valid: [{}], invalid: emptyInvalid },
  {
    service: 'shard',
    method: 'replicate',
    valid: [{ shard_id: 1, epoch: 2, seq: 1, op: '{"k":"commit","tick":3}', stream: 'id/1' }],
    invalid: [
      { field: 'shard_id', patch: { shard_id: 0 } },
      { field: 'seq', patch: { seq: 0 } },
      { field: 'op', patch: { op: '' } },
      { field: 'stream', patch: { stream: '' } },
    ],
  },
  {
    service: 'shard',
    method: 'add_follower',
    valid: [{ identity: 'shard-b', address: '127.0.0.1:7071' }],
    invalid: [
      { field: 'identity', patch: { identity: '' } },
      { field: 'address', patch: { address: 'nowhere' } },
    ],
  },
  { service: 'shard', method: 'promote', valid: [{ shard_id: 2, tick: 7 }], invalid: [{ field: 'shard_id', patch: { shard_id: 0 } }] },
];

const definition = (c: Case) => (c.service === 'shard' ? shardService : coordinatorService);
const schemaOf = (c: Case) => (c.service === 'shard' ? shardRequests : coordinatorRequests)[c.method as never];

/** What the handler gets: the request through the loader's encoder and decoder. */
function wire(c: Case, req: Msg): unknown {
  const m = definition(c)[c.method];
  return m.requestDeserialize(m.requestSerialize(req));
}

/** Parse and expect INVALID_ARGUMENT; returns the message. */
function refusal(schema: Parameters<typeof parse>[0], req: unknown, method: string): string {
  try {
    parse(schema, req, method);
  } catch (e) {
    assert.ok(e instanceof RpcError, `expected an RpcError, got ${String(e)}`);
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    return e.message;
  }
  assert.fail(`${method}: the request parsed`);
}

{
  test('every method of both services has a schema and a case here', () => {
    assert.deepEqual(Object.keys(coordinatorRequests).sort(), Object.keys(coordinatorService).sort());
    assert.deepEqual(Object.keys(shardRequests).sort(), Object.keys(shardService).sort());
    for (const svc of ['coordinator', 'shard'] as const) {
      const methods = Object.keys(svc === 'shard' ? shardService : coordinatorService).sort();
      assert.deepEqual(cases.filter((c) => c.service === svc).map((c) => c.method).sort(), methods);
    }
  });

  for (const c of cases) {
    test(`${c.method}: valid requests parse`, () => {
      c.valid.forEach((v, i) => {
        const decoded = wire(c, v);
        const parsed = parse(schemaOf(c), decoded, c.method) as Msg;
        if (i === 0) c.check?.(parsed);
      });
    });

    test(`${c.method}: each invalid field is INVALID_ARGUMENT naming it`, () => {
      for (const inv of c.invalid) {
        const req = inv.direct ? (inv.field === 'request' ? null : { ...(wire(c, c.valid[0]) as Msg), ...inv.patch }) : wire(c, { ...c.valid[0], ...inv.patch });
        const message = refusal(schemaOf(c), req, c.method);
        assert.ok(message.startsWith(`${c.method}: ${inv.field} `), `${c.method} ${inv.field}: ${message}`);
        assert.ok(message.length < 400, `a short message: ${message}`);
        if (inv.says) assert.match(message, inv.says);
      }
    });
  }

  test('an oversized input value is quoted to at most 200 characters', () => {
    const quoted = (message: string) => Math.max(0, ...[...message.matchAll(/x+/g)].map((m) => m[0].length));
    for (const [schema, req, method] of [
      [coordinatorRequests.route_document, { uuid: BIG }, 'route_document'],
      [coordinatorRequests.register, { ...(wire(cases[0], cases[0].valid[0]) as Msg), address: BIG }, 'register'],
      [shardRequests.update_membership, { epoch: 1, members: [], you: 1, config_json: BIG, tick: 0 }, 'update_membership'],
      [coordinatorRequests.explore, { kind: BIG, from: '', to: '', k: 0 }, 'explore'],
    ] as const) {
      const message = refusal(schema, req, method);
      assert.ok(quoted(message) > 0 && quoted(message) <= 200, `${method}: quotes ${quoted(message)} characters`);
      assert.match(message, new RegExp(`…" \\(${BIG.length} characters\\)`));
      assert.ok(message.length < 400, message);
    }
    // a map key (a term) in the field path is cut too
    const key = 'x'.repeat(5000);
    const message = refusal(coordinatorRequests.report_df, { shard_id: 1, epoch: 1, df: { [key]: -1 }, documents: 0, total_length: 0, batch: 0 }, 'report_df');
    assert.ok(message.startsWith('report_df: df["'), message);
    assert.ok(message.length < 200, message);
    // escaped characters count too: no more than 200 characters of the escaped quote
    const control = refusal(coordinatorRequests.route_node, { uuid: '\u0001'.repeat(1000) }, 'route_node');
    assert.ok(control.length < 400, control);
  });

  test('several problems: the first is named, the others counted', () => {
    const message = refusal(shardRequests.tick_phase, { tick: 0, phase: 'NOPE', epoch: 1, digest_count: 0, attempt: 0, empty: false }, 'tick_phase');
    assert.match(message, /^tick_phase: tick must be a positive integer, got 0 \(and 2 more problems\)$/);
  });

  test('a request that is not a message', () => {
    assert.match(refusal(coordinatorRequests.health, 'hello', 'health'), /^health: request must be a message \(an object\), got "hello"$/);
    assert.match(refusal(coordinatorRequests.ingest, undefined, 'ingest'), /^ingest: request must be a message/);
  });
}
