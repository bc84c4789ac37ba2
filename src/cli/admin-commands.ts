// Operator commands (the admin token): `phago shard remove ID` takes a dead member out of the cluster.
import { Command } from 'commander';
import { LeaderClient } from '../rpc/leader-client.js';
import { CoordinatorServiceClient } from '../rpc/proto.js';
import { addSecurityOptions, DEFAULT_COORDINATOR, security } from './cluster-commands.js';
import { intArg } from './common.js';

export function shardRemoveCommand(): Command {
  const cmd = new Command('remove')
    .description('remove a dead shard without its cooperation (admin); with one copy of each key its data is lost: without --confirm-loss this only reports what would be lost')
    .argument('<id>', 'shard id (phago status lists them)', intArg('id', 1))
    .option('--confirm-loss', 'remove it although its documents and concepts are lost')
    .option('--identity <identity>', 'replicated shards: remove this member of the shard (a dead follower, or its dead primary); nothing is lost while a copy remains')
    .option('--coordinator <host:port>', 'coordinator address, or several comma-separated (default: $PHAGO_COORDINATOR or 127.0.0.1:7070)')
    .option('--json', 'print the removal report as JSON');
  addSecurityOptions(cmd, 'admin');
  return cmd.action(async (id: number, o: { confirmLoss?: boolean; identity?: string; coordinator?: string; json?: boolean; adminToken?: string; tlsCa?: string }) => {
    const client = new LeaderClient(CoordinatorServiceClient, o.coordinator ?? process.env.PHAGO_COORDINATOR ?? DEFAULT_COORDINATOR, security(o, 'admin'), 120_000);
    try {
      const r = await client.call('remove_shard', { id, confirm_loss: !!o.confirmLoss, identity: o.identity ?? '' });
      console.log(o.json ? JSON.stringify(r) : `${r.detail} (membership epoch ${r.epoch})`);
    } finally {
      client.close();
    }
  });
}
