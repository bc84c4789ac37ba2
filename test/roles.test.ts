// Roles (docs/security.md): every RPC of both services against each credential — none, wrong, client,
// shard (the cluster token), admin — through real sockets. A credential whose role may not call the
// method gets PERMISSION_DENIED, no or an unknown one UNAUTHENTICATED; the others pass the check (the
// request, `{}`, then gets whatever status the method gives it). The table is printed (docs/security.md
// shows it).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { EmbeddedCluster } from '../src/engine/embedded.js';
import { RpcClient } from '../src/rpc/client.js';
import { coordinatorService, CoordinatorServiceClient, shardService, ShardServiceClient } from '../src/rpc/proto.js';
import { COORDINATOR_ACCESS, type Role } from '../src/rpc/roles.js';
import { LONG, within } from './helpers.js';

const CREDENTIALS = ['none', 'wrong', 'client', 'shard', 'admin'] as const;
type Credential = (typeof CREDENTIALS)[number];

let cluster: EmbeddedCluster;

before(async () => {
  // the heartbeat would race with the table's calls for nothing; the shards keep it slow
  cluster = await within(EmbeddedCluster.start({ shards: 2, shardOptions: () => ({ heartbeatMs: 3_600_000 }) }), 30_000, 'the embedded cluster did not start');
});

after(async () => {
  await within(cluster.stop(), 20_000, 'the embedded cluster did not stop');
});

function tokenOf(cred: Credential): string {
  const roles = cluster.security.roles!;
  return { none: '', wrong: 'not-a-token', client: roles.client!, shard: roles.member!, admin: roles.admin! }[cred];
}

/** The status name a call ends with. */
async function statusOf(client: RpcClient, method: string): Promise<string> {
  try {
    await client.call(method, {}, 5000);
    return 'OK';
  } catch (e) {
    return grpc.status[(e as grpc.ServiceError).code];
  }
}

test('every RPC of both services against each credential', LONG, async () => {
  const services = [
    { name: 'CoordinatorService', Ctor: CoordinatorServiceClient, address: cluster.address, methods: Object.keys(coordinatorService), access: (m: string) => COORDINATOR_ACCESS[m] },
    { name: 'ShardService', Ctor: ShardServiceClient, address: cluster.shards[0].address, methods: Object.keys(shardService), access: (): readonly Role[] => ['member'] },
  ];
  const lines = ['| service | method | none | wrong | client | shard | admin |', '|---|---|---|---|---|---|---|'];
  const wrong: string[] = [];
  for (const svc of services) {
    const clients = Object.fromEntries(CREDENTIALS.map((c) => [c, new RpcClient(svc.Ctor, svc.address, { token: tokenOf(c) })])) as Record<Credential, RpcClient>;
    try {
      for (const method of svc.methods) {
        const allowed = svc.access(method);
        assert.ok(allowed, `${svc.name}.${method} has no access rule`);
        const row: string[] = [];
        for (const cred of CREDENTIALS) {
          const got = await statusOf(clients[cred], method);
          row.push(got);
          const role: Role | null = cred === 'shard' ? 'member' : cred === 'client' || cred === 'admin' ? cred : null;
          if (role === null) {
            if (got !== 'UNAUTHENTICATED') wrong.push(`${svc.name}.${method} with ${cred}: ${got}, expected UNAUTHENTICATED`);
          } else if (!allowed.includes(role)) {
            if (got !== 'PERMISSION_DENIED') wrong.push(`${svc.name}.${method} with ${cred}: ${got}, expected PERMISSION_DENIED`);
          } else if (got === 'PERMISSION_DENIED' || got === 'UNAUTHENTICATED') wrong.push(`${svc.name}.${method} with ${cred}: ${got}, expected the method to run`);
        }
        lines.push(`| ${svc.name} | ${method} | ${row.join(' | ')} |`);
      }
    } finally {
      for (const c of Object.values(clients)) c.close();
    }
  }
  console.log(lines.join('\n'));
  assert.deepEqual(wrong, []);
  // the shard-side methods of the coordinator are a shard's only; membership operations an admin's
  for (const m of ['register', 'report_df', 'heartbeat', 'phase_complete', 'barrier_ready']) assert.deepEqual(COORDINATOR_ACCESS[m], ['member'], m);
  assert.deepEqual(COORDINATOR_ACCESS.remove_shard, ['admin']);
});

test("a client's token cannot forge a df report or a heartbeat; the message says which token it needs", LONG, async () => {
  const client = new RpcClient(CoordinatorServiceClient, cluster.address, { token: tokenOf('client') });
  try {
    for (const [method, req] of [
      ['report_df', { shard_id: 1, epoch: 0, df: { cell: 1000 }, documents: 1000, total_length: 1000, batch: 0 }],
      ['heartbeat', { shard_id: 1, node_count: 999, edge_count: 0, document_count: 999, digested_count: 0, pending_count: 0 }],
    ] as const) {
      await assert.rejects(client.call(method, req), (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED && /cluster token/.test(e.details));
    }
    assert.equal((await client.call('get_global_df', { terms: ['cell'] })).df.cell, 0);
    assert.equal((await client.call('list_shards', {})).shards[0].document_count, 0);
  } finally {
    client.close();
  }
});

test('a df report with a malformed packed list is INVALID_ARGUMENT and counts nothing; a well-formed one counts', LONG, async () => {
  const { encodeDfPacked } = await import('../src/protocol/df-packed.js');
  const shard = new RpcClient(CoordinatorServiceClient, cluster.address, { token: tokenOf('shard') });
  try {
    const base = { shard_id: 1, epoch: 0, df: {}, documents: 0, total_length: 0, batch: 0 };
    const good = encodeDfPacked([['zyxcount', 2]]);
    for (const bad of [good.subarray(0, good.length - 1), Buffer.concat([good, Buffer.from([0])]), encodeDfPacked([['zyxcount', 0]]), encodeDfPacked([['zyxcount', 1], ['zyxcount', 1]])]) {
      await assert.rejects(shard.call('report_df', { ...base, df_packed: bad }), (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT && /df_packed/.test(e.details));
    }
    assert.equal((await shard.call('get_global_df', { terms: ['zyxcount'] })).df.zyxcount, 0);
    await shard.call('report_df', { ...base, df_packed: good, df_removed: { zyxcount: 1 } });
    assert.equal((await shard.call('get_global_df', { terms: ['zyxcount'] })).df.zyxcount, 1);
  } finally {
    shard.close();
  }
});
