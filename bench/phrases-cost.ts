/**
 * What phrase concepts cost ingest and digestion: CPU seconds of ingest and of digestion in one process,
 * runs with `phrases` 0 and N interleaved in one process (the first run warms the JIT; compare the rest).
 * CPU time rather than wall time: on a shared machine the wall time of one run moves by several times.
 *   node dist/bench/phrases-cost.js [--collection wordnet|manpages] [--runs 0,3,0,3,3,0]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { LocalEngine } from '../src/engine/local.js';
import { ensureCollection } from '../scripts/collections.js';
import { arg } from './script-args.js';

const collection = arg('--collection', 'wordnet');
const runs = arg('--runs', '0,3,0,3,3,0').split(',').map(Number);
const file = collection === 'wordnet' ? await ensureCollection('wordnet') : join(homedir(), '.cache', 'phago', 'eval', collection, 'docs.jsonl');
const docs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; title: string; text: string });
const cpu = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

console.log(`${docs.length} documents (${collection})\n| phrases | ingest CPU s | digest CPU s | concepts | edges |\n|---|---|---|---|---|`);
for (const phrases of runs) {
  const e = new LocalEngine({ phrases });
  let c = process.cpuUsage();
  for (let i = 0; i < docs.length; i += 5000) await e.ingest(docs.slice(i, i + 5000));
  const ingest = cpu(c);
  c = process.cpuUsage();
  await e.tick('digest');
  const digest = cpu(c);
  const st = await e.stats();
  console.log(`| ${phrases} | ${ingest.toFixed(2)} | ${digest.toFixed(2)} | ${st.nodes} | ${st.edges} |`);
}
