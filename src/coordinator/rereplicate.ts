// Restoring r copies without a new process (docs/replication.md, "Restoring copies"): after an
// operator removed a dead member, the survivors re-replicate what it held. The coordinator's watchdog
// runs one repair at a time, planned by ReplicaSets.repair (pure): a surplus follower moves to the
// group short of copies (it syncs from that group's primary by snapshot), or, with no surplus and
// once the group has stayed short for --rereplicate-after, the short group is folded into the others:
// its keys move to groups that hold r copies (a normal leave, with migration) and its processes become
// their followers. A new process that registers meanwhile takes the short group's place instead.
import { describeError } from '../rpc/client.js';
import { clock } from '../util/clock.js';
import type { Coordinator } from './coordinator.js';
import { reassign, removeGroup } from './membership.js';
import { persistReplicas, syncFollower } from './replicas.js';

const state = new WeakMap<Coordinator, { running: boolean; failures: number; notBefore: number }>();

/** One repair step if one is due (the watchdog calls it every lease period); true when one ran. */
export async function repairReplicas(c: Coordinator): Promise<boolean> {
  if (c.replicaSets.replicas <= 1 || c.stopped || c.machine.inProgress) return false;
  let st = state.get(c);
  if (!st) state.set(c, (st = { running: false, failures: 0, notBefore: 0 }));
  if (st.running || clock.nowMs() < st.notBefore) return false;
  st.running = true;
  try {
    const ran = await c.membershipLock.run(() => c.writeState(() => repairOnce(c)));
    st.failures = 0;
    return ran;
  } catch (e) {
    // a fold needs every primary to answer (its keys move): try again later, backing off to a minute
    st.failures++;
    st.notBefore = clock.nowMs() + Math.min(60_000, c.registry.leaseMs * 2 ** st.failures);
    c.log(`restoring copies: ${describeError(e)} (again in ${st.notBefore - clock.nowMs()} ms)`);
    return false;
  } finally {
    st.running = false;
  }
}

async function repairOnce(c: Coordinator): Promise<boolean> {
  if (c.machine.inProgress) return false;
  const rs = c.replicaSets;
  const now = clock.nowMs();
  const step = rs.repair(c.registry.ids(), (g) => {
    const since = rs.get(g)?.degradedSince;
    return since !== undefined && now - since >= c.rereplicateAfterMs;
  });
  if (!step) return false;
  if (step.kind === 'move') {
    const f = rs.get(step.from)!.followers.find((x) => x.identity === step.identity)!;
    rs.removeFollower(step.from, step.identity);
    rs.addFollower(step.to, c.registry.get(step.to)!.identity, { identity: f.identity, address: f.address, inSync: false });
    persistReplicas(c);
    c.log(`restoring copies: follower ${f.identity.slice(0, 60)} of shard ${step.from} (${rs.copies(step.from)} copies left) follows shard ${step.to} now`);
    // its old primary drops it at its next operation (the follower answers another stream)
    syncFollower(c, step.to, f.identity);
    return true;
  }
  const before = rs.copies(step.group);
  c.log(`restoring copies: shard ${step.group} has ${before} of ${rs.replicas} copies and no process came to restore them; its keys move to the other shards and its processes follow them`);
  const freed = await removeGroup(c, step.group);
  reassign(c, freed);
  return true;
}
