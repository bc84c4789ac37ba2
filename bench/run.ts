/**
 * Entry point of `npm run bench` (tsc -p . && node --expose-gc dist/bench/run.js).
 *
 *   node --expose-gc dist/bench/run.js [--quick] [--json] [--only NAME[,NAME...]] [--list]
 *
 *   --quick        smaller sizes and fewer rounds (a smoke run)
 *   --json         after the report, print one JSON object with every number on the last line
 *   --only NAME    run only the named section(s); repeatable or comma-separated
 *   --list         list the sections and exit
 *
 * To add a benchmark, append a section to SECTIONS: { name, description, run(opts) }, where run
 * logs its report through opts.log and resolves to its numbers (they go under "sections" in the JSON).
 * A section with optIn: true (the long "scale" one) runs only when named with --only.
 */
import { runClusterBench } from './cluster-bench.js';
import { runColonyBench } from './colony-bench.js';
import { runDurabilityBench } from './durability-bench.js';
import { runRetrievalBench } from './retrieval-bench.js';
import { runScaleBench } from './scale-bench.js';

export interface BenchSectionOptions {
  quick: boolean;
  log: (line: string) => void;
}

export interface BenchSection {
  name: string;
  description: string;
  run(opts: BenchSectionOptions): Promise<Record<string, unknown>>;
  /** Run only when named with --only (long, or needs a Debian package). */
  optIn?: boolean;
}

export const SECTIONS: BenchSection[] = [
  {
    name: 'colony',
    description: 'single-process colony vs minisearch: sample corpus throughput/latency/memory, SpamAssassin scaling curve',
    run: (opts) => runColonyBench(opts),
  },
  {
    name: 'cluster',
    description: 'barrier round vs bare fan-out, tick time and query latency on 1 vs 3 shard processes, cluster ingest, placement balance/movement',
    run: (opts) => runClusterBench(opts),
  },
  {
    name: 'durability',
    description: 'durable vs in-memory ingest through the cluster; shard recovery time on the sample corpus and SpamAssassin',
    run: (opts) => runDurabilityBench(opts),
  },
  {
    name: 'retrieval',
    description:
      'opt-in (--only retrieval): phago (and its ablations), plain BM25, minisearch, wink-bm25 on the sample corpus, man pages and WordNet examples, dev and test splits',
    optIn: true,
    run: (opts) => runRetrievalBench(opts),
  },
  {
    name: 'scale',
    description:
      'opt-in (--only scale): WordNet (117k docs, wordnet-base) phago / phago-plain / minisearch each in its own child, growth 10k/30k/all, synthetic 1M docs; see bench/scale-bench.ts',
    optIn: true,
    run: (opts) => runScaleBench(opts),
  },
];

interface Args {
  quick: boolean;
  json: boolean;
  list: boolean;
  only: string[];
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, json: false, list: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = true;
    else if (a === '--list') args.list = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (v === undefined || v === '' || v.startsWith('--')) throw new UsageError('--only needs a section name');
      args.only.push(...v.split(',').map((s) => s.trim()).filter(Boolean));
    } else if (a === '--help' || a === '-h') {
      args.list = true;
    } else throw new UsageError(`unknown argument "${a}"`);
  }
  const known = new Set(SECTIONS.map((s) => s.name));
  const unknown = args.only.filter((n) => !known.has(n));
  if (unknown.length > 0) throw new UsageError(`unknown section(s) ${unknown.join(', ')}; known: ${[...known].join(', ')}`);
  return args;
}

const USAGE = 'usage: node --expose-gc dist/bench/run.js [--quick] [--json] [--only NAME[,NAME...]] [--list]';

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.list) {
    process.stdout.write(`${USAGE}\nsections:\n${SECTIONS.map((s) => `  ${s.name.padEnd(10)} ${s.description}`).join('\n')}\n`);
    return 0;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const selected = args.only.length > 0 ? SECTIONS.filter((s) => args.only.includes(s.name)) : SECTIONS.filter((s) => !s.optIn);
  const started = new Date().toISOString();
  const sections: Record<string, unknown> = {};
  const failures: string[] = [];
  for (const s of selected) {
    try {
      sections[s.name] = await s.run({ quick: args.quick, log });
    } catch (e) {
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`!! section "${s.name}" failed: ${msg}`);
      sections[s.name] = { error: e instanceof Error ? e.message : String(e) };
      failures.push(s.name);
    }
    log('');
  }
  if (args.json) {
    const out = {
      started,
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      quick: args.quick,
      sections,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
