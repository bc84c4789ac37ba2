import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where the evaluation collections live (built by `node dist/scripts/collections.js manpages|wordnet-examples`,
 * see scripts/eval-collections.ts) and how their queries split into dev and test. Never in the repository.
 */
export const EVAL_COLLECTIONS = ['manpages', 'wordnet-examples'] as const;
export type EvalCollectionName = (typeof EVAL_COLLECTIONS)[number];
export const SPLITS = ['dev', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** The cache root: $PHAGO_CACHE, else ~/.cache/phago. */
export function cacheRoot(): string {
  const env = process.env.PHAGO_CACHE;
  return resolve(env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'phago'));
}

/** The split of a query id: sha1(qid)'s first byte even → dev, odd → test (stable, about 50/50). */
export function splitOf(qid: string): Split {
  return (createHash('sha1').update(qid).digest()[0] & 1) === 0 ? 'dev' : 'test';
}

/** A stable pseudo-random order of queries (by sha1 of the id), for deterministic subsampling. */
export function sampleOrder<T extends { qid: string }>(qs: readonly T[]): T[] {
  const key = (q: T) => createHash('sha1').update(`order:${q.qid}`).digest('hex');
  return qs.map((q) => ({ q, k: key(q) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((x) => x.q);
}

export interface EvalCollectionPaths {
  dir: string;
  docs: string;
  queries: Record<Split, string>;
  qrels: string;
}

export function evalPaths(name: EvalCollectionName, cacheDir = cacheRoot()): EvalCollectionPaths {
  const dir = join(cacheDir, 'eval', name);
  return { dir, docs: join(dir, 'docs.jsonl'), queries: { dev: join(dir, 'queries-dev.jsonl'), test: join(dir, 'queries-test.jsonl') }, qrels: join(dir, 'qrels.txt') };
}

export function isEvalCollection(name: string): name is EvalCollectionName {
  return (EVAL_COLLECTIONS as readonly string[]).includes(name);
}
