/**
 * npm run sim -- [--seeds N] [--from S] [--seed S] [--revert-attempt-ids] [--stale-hunt] [--profile default|membership] [--early-drop] [--skip-converge] [--verbose]
 * Runs N seeded schedules of the simulated network (src/sim) and prints schedules/s and the seeds
 * whose invariants broke; `--seed S` replays one schedule and prints its trace and violations.
 * `--revert-attempt-ids` turns the stale-attempt fix off on the shards (a test hook); `--stale-hunt`
 * uses the faults and workload where a stale message is most likely (STALE_HUNT); `--profile membership`
 * adds shards joining and leaving during the faults (MEMBERSHIP), `--early-drop` breaks a rule of
 * membership changes (a test hook: migrate_out drops what it sends before the decision).
 */
import { MEMBERSHIP, runSchedule, STALE_HUNT } from '../src/sim/schedule.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const one = arg('--seed');
const seeds = one !== undefined ? 1 : Number(arg('--seeds') ?? 10_000);
const from = one !== undefined ? Number(one) : Number(arg('--from') ?? 1);
const attemptIds = !process.argv.includes('--revert-attempt-ids');
const verbose = process.argv.includes('--verbose') || one !== undefined;
const profileName = process.argv.includes('--stale-hunt') ? 'stale-hunt' : (arg('--profile') ?? 'default');
const PROFILES: Record<string, object> = { default: {}, 'stale-hunt': STALE_HUNT, membership: MEMBERSHIP };
const profile = PROFILES[profileName];
const earlyDrop = process.argv.includes('--early-drop');
const skipConverge = process.argv.includes('--skip-converge');
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(from) || !profile) {
  console.error('usage: npm run sim -- [--seeds N] [--from S] [--seed S] [--revert-attempt-ids] [--stale-hunt] [--profile default|membership] [--early-drop] [--skip-converge] [--verbose]');
  process.exit(2);
}

const t0 = performance.now();
const failing: number[] = [];
let ticks = 0;
let aborts = 0;
let crashes = 0;
let failovers = 0;
let messages = 0;
let joins = 0;
let leaves = 0;
let failedChanges = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const r = runSchedule({ seed, ...profile, attemptIds, earlyDrop, skipConverge, trace: one !== undefined ? (m) => console.log(m) : undefined });
  ticks += r.ticks;
  aborts += r.aborts;
  crashes += r.crashes;
  failovers += r.failovers;
  messages += r.messages;
  joins += r.joins;
  leaves += r.leaves;
  failedChanges += r.failedChanges;
  if (r.violations.length > 0) {
    failing.push(seed);
    if (verbose || failing.length <= 5) console.log(`seed ${seed}: ${r.violations.length} violation(s)\n  ${r.violations.slice(0, 5).join('\n  ')}`);
  }
  if (!verbose && (seed - from + 1) % 10_000 === 0) console.log(`${seed - from + 1} schedules, ${failing.length} violating, ${((seed - from + 1) / ((performance.now() - t0) / 1000)).toFixed(0)}/s`);
}
const s = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({ seeds: `${from}..${from + seeds - 1}`, schedules: seeds, attemptIds, profile: profileName, seconds: +s.toFixed(2), perSecond: Math.round(seeds / s), committedTicks: ticks, abortedAttempts: aborts, crashes, failovers, joins, leaves, failedChanges, messages, violating: failing.length, failingSeeds: failing.slice(0, 20) }),
);
process.exitCode = failing.length > 0 ? 1 : 0;
