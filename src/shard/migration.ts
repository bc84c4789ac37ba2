import { Placement } from '../cluster/placement.js';
import { RpcClient } from '../rpc/client.js';
import { ShardServiceClient } from '../rpc/proto.js';
import { rpcError } from '../rpc/server.js';
import { selectMigration, type EdgeWire, type NodeWire, type StoredDocWire, type WithdrawalWire } from './migration-rows.js';
import type { ShardNode } from './shard.js';

export type { StoredDocWire, NodeWire, WithdrawalWire, EdgeWire } from './migration-rows.js';
export { flip } from './migration-rows.js';

/** Send every document, concept and edge that another shard owns under the new membership. */
export async function migrateOut(s: ShardNode, epoch: number, members: { id: number; address: string }[]) {
  if (s.participant.openTick !== null) throw rpcError.precondition(`tick ${s.participant.openTick} is in progress; membership changes happen between ticks`);
  // df reports still pending go out first: the documents they count are about to leave
  await s.ingestLock.run(() => s.flushDfReports());
  const next = new Placement(members.map((m) => m.id));
  const addr = new Map(members.map((m) => [m.id, m.address]));
  const { out, documents: docs, nodes, edges } = selectMigration(s.part, s.id, next);
  await Promise.all(
    [...out.entries()].map(async ([t, o]) => {
      const a = addr.get(t);
      if (!a) throw rpcError.invalid(`shard ${t} has no address in the new membership`);
      const client = new RpcClient(ShardServiceClient, a, s.opts.security, s.opts.rpcDeadlineMs ?? 30_000);
      const send = (part: { docs?: StoredDocWire[]; nodes?: NodeWire[]; edges?: EdgeWire[]; withdrawals?: WithdrawalWire[] }) => client.call('migrate_in', { epoch, from: s.id, docs: [], nodes: [], edges: [], withdrawals: [], ...part });
      try {
        if (o.withdrawals.length > 0) await send({ withdrawals: o.withdrawals });
        for (let i = 0; i < o.docs.length; i += 200) await send({ docs: o.docs.slice(i, i + 200) });
        for (let i = 0; i < o.nodes.length; i += 5000) await send({ nodes: o.nodes.slice(i, i + 5000) });
        for (let i = 0; i < o.edges.length; i += 20000) await send({ edges: o.edges.slice(i, i + 20000) });
      } finally {
        client.close();
      }
    }),
  );
  return { documents: docs, nodes, edges };
}
