/**
 * The large benchmark collections, built by script and cached OUTSIDE the repository.
 *
 *   node dist/scripts/collections.js wordnet                  build (or find) the WordNet collection
 *   node dist/scripts/collections.js synthetic --n N [--seed S]   write the synthetic collection as JSONL
 *   node dist/scripts/collections.js manpages | wordnet-examples  build an evaluation collection with
 *                                                                 dev/test queries (scripts/eval-collections.ts)
 *
 * Both print the path of docs.jsonl and the document count. The cache root is $PHAGO_CACHE, or
 * ~/.cache/phago when unset; each collection lives in <root>/<name>/ as docs.jsonl (one
 * {"id","title","text"} per line, in a fixed order) and meta.json (count, bytes, source).
 *
 * - wordnet: every synset of Debian's `wordnet-base` (WordNet 3.0, /usr/share/wordnet/data.{noun,
 *   verb,adj,adv}): 117,659 documents; id `wn:<pos>:<offset>` (pos n, v, a, r), title = the synset's
 *   words, text = its gloss (definition and examples). The package is installed with apt-get when
 *   the data files are missing (as root; otherwise the error says what to install).
 * - synthetic: n documents from a seeded generator (no Math.random): a Zipfian vocabulary
 *   (200,000 pseudo-words, exponent 1.0), 30..90 words of text each (60 on average) and a title of
 *   2..5 words; ids `syn-<i>`. It is a generator, so a caller can stream 1,000,000 documents.
 *
 * Debian package descriptions are deliberately NOT used as a source (they are kept for
 * independent checks).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../src/eval/collections.js';
import { Prng } from '../src/util/prng.js';
import { ensureEvalCollection, EVAL_COLLECTIONS } from './eval-collections.js';

/** One document of a collection, as written to docs.jsonl. */
export interface CollectionDoc {
  id: string;
  title: string;
  text: string;
}

export interface CollectionMeta {
  name: string;
  count: number;
  /** Size of docs.jsonl in bytes. */
  bytes: number;
  source: Record<string, unknown>;
  format: string;
}

export { cacheRoot };

// ---- WordNet ------------------------------------------------------------------------------------

export const WORDNET_PACKAGE = 'wordnet-base';
export const WORDNET_DIR = '/usr/share/wordnet';
/** The data files in collection order, with the pos letter used in ids. */
export const WORDNET_FILES: readonly { file: string; pos: WordnetPos }[] = [
  { file: 'data.noun', pos: 'n' },
  { file: 'data.verb', pos: 'v' },
  { file: 'data.adj', pos: 'a' },
  { file: 'data.adv', pos: 'r' },
];
export type WordnetPos = 'n' | 'v' | 'a' | 'r';

/**
 * One line of a WordNet data file (wndb(5)): `offset lex_filenum ss_type w_cnt word lex_id ...
 * p_cnt ptrs... [frames] | gloss`. w_cnt is two hex digits; words use `_` for spaces and, for
 * adjectives, may carry a syntactic marker `(a)`, `(p)` or `(ip)`. Returns null for the licence
 * header (lines starting with spaces) and for blank lines; throws on a malformed synset line.
 */
export function parseWordnetLine(line: string, pos: WordnetPos): CollectionDoc | null {
  if (line.trim() === '' || line.startsWith(' ')) return null;
  const bar = line.indexOf(' | ');
  const head = (bar < 0 ? line : line.slice(0, bar)).trim().split(/\s+/);
  const offset = head[0];
  const wCnt = Number.parseInt(head[3] ?? '', 16);
  if (!/^\d{8}$/.test(offset) || !Number.isInteger(wCnt) || wCnt < 1 || head.length < 4 + 2 * wCnt) {
    throw new Error(`malformed WordNet synset line: ${line.slice(0, 80)}`);
  }
  const words: string[] = [];
  for (let j = 0; j < wCnt; j++) {
    const w = head[4 + 2 * j].replace(/\((a|p|ip)\)$/, '').replace(/_/g, ' ');
    if (!words.includes(w)) words.push(w);
  }
  const title = words.join(', ');
  const gloss = bar < 0 ? '' : line.slice(bar + 3).trim();
  return { id: `wn:${pos}:${offset}`, title, text: gloss === '' ? title : gloss };
}

/** Every synset of one data file's text, in file (offset) order. */
export function parseWordnetData(text: string, pos: WordnetPos): CollectionDoc[] {
  const out: CollectionDoc[] = [];
  for (const line of text.split('\n')) {
    const d = parseWordnetLine(line, pos);
    if (d) out.push(d);
  }
  return out;
}

function dpkgVersion(pkg: string): string | null {
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return v === '' ? null : v;
  } catch {
    return null;
  }
}

function wordnetFilesPresent(dir: string): boolean {
  return WORDNET_FILES.every((f) => existsSync(join(dir, f.file)));
}

/** Make sure the WordNet data files are there: apt-get install wordnet-base when they are missing. */
function ensureWordnetInstalled(dir: string, log: (l: string) => void): void {
  if (wordnetFilesPresent(dir)) return;
  const what = `the WordNet data files (${WORDNET_FILES.map((f) => join(dir, f.file)).join(', ')}) are missing: install the Debian package "${WORDNET_PACKAGE}" (apt-get install ${WORDNET_PACKAGE})`;
  if (dir !== WORDNET_DIR) throw new Error(what);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new Error(`${what}; not running as root, so not installing it here`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', WORDNET_PACKAGE], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  log(`collections: installing ${WORDNET_PACKAGE} with apt-get`);
  try {
    install();
  } catch {
    // the package lists may be empty or stale: update once and try again
    try {
      execFileSync('apt-get', ['update'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      install();
    } catch (e) {
      throw new Error(`${what}; apt-get install failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (!wordnetFilesPresent(dir)) throw new Error(`${what}; apt-get install ${WORDNET_PACKAGE} ran but the files are still missing`);
}

/** Writes lines through a buffer into a temporary file, renamed into place by commit(). */
class AtomicLineWriter {
  private readonly tmp: string;
  private fd: number;
  private buf: string[] = [];
  private bufLen = 0;
  count = 0;
  constructor(private readonly path: string) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.fd = openSync(this.tmp, 'w');
  }
  line(s: string): void {
    this.buf.push(s, '\n');
    this.bufLen += s.length + 1;
    this.count++;
    if (this.bufLen >= 1 << 20) this.flush();
  }
  private flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.bufLen = 0;
  }
  /** Flush and close the temporary file; returns its size in bytes. */
  finish(): number {
    this.flush();
    closeSync(this.fd);
    return statSync(this.tmp).size;
  }
  /** Move the finished file into place. */
  commit(): void {
    renameSync(this.tmp, this.path);
  }
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

export interface EnsureOptions {
  /** Cache root (default cacheRoot()). */
  cacheDir?: string;
  /** Where the WordNet data files are (default /usr/share/wordnet; only that one is installed by apt-get). */
  wordnetDir?: string;
  /** Synthetic collection size and seed. */
  n?: number;
  seed?: number;
  /** Progress messages (default: none). */
  log?: (line: string) => void;
}

function buildWordnet(dir: string, out: string, wordnetDir: string, log: (l: string) => void): CollectionMeta {
  ensureWordnetInstalled(wordnetDir, log);
  const w = new AtomicLineWriter(out);
  const perFile: Record<string, number> = {};
  for (const { file, pos } of WORDNET_FILES) {
    const docs = parseWordnetData(readFileSync(join(wordnetDir, file), 'utf8'), pos);
    perFile[file] = docs.length;
    for (const d of docs) w.line(JSON.stringify(d));
  }
  const count = w.count;
  const meta: CollectionMeta = {
    name: 'wordnet',
    count,
    bytes: 0,
    source: {
      package: WORDNET_PACKAGE,
      version: wordnetDir === WORDNET_DIR ? dpkgVersion(WORDNET_PACKAGE) : null,
      dir: wordnetDir,
      files: perFile,
      mapping: 'one document per synset: id wn:<pos>:<offset>, title = synset words, text = gloss',
    },
    format: 'jsonl {"id","title","text"}',
  };
  // meta first, docs.jsonl last: docs.jsonl existing means the collection is complete
  meta.bytes = w.finish();
  writeJsonAtomic(join(dir, 'meta.json'), meta);
  w.commit();
  return meta;
}

/**
 * The path of a collection's docs.jsonl, building it on first use: `wordnet` (from wordnet-base),
 * or `synthetic` (opts.n documents, opts.seed). Idempotent: an existing docs.jsonl is returned as is.
 */
export async function ensureCollection(name: string, opts: EnsureOptions = {}): Promise<string> {
  const root = opts.cacheDir ?? cacheRoot();
  const log = opts.log ?? (() => {});
  if (name === 'wordnet') {
    const dir = join(root, 'wordnet');
    const out = join(dir, 'docs.jsonl');
    if (existsSync(out)) return out;
    mkdirSync(dir, { recursive: true });
    const meta = buildWordnet(dir, out, opts.wordnetDir ?? WORDNET_DIR, log);
    log(`collections: wrote ${meta.count} documents to ${out}`);
    return out;
  }
  if (name === 'synthetic') return writeSynthetic(opts.n ?? 1_000_000, opts.seed ?? DEFAULT_SYNTHETIC_SEED, { cacheDir: root, log });
  throw new Error(`unknown collection "${name}" (known: wordnet, synthetic)`);
}

/** meta.json of a collection directory (the folder of docs.jsonl), or null. */
export function readMeta(docsPath: string): CollectionMeta | null {
  const p = join(docsPath, '..', 'meta.json');
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as CollectionMeta;
}

// ---- synthetic ----------------------------------------------------------------------------------

export const DEFAULT_SYNTHETIC_SEED = 1;

export interface SyntheticOptions {
  /** Word types (default 200,000). */
  vocabulary?: number;
  /** Zipf exponent s: P(rank r) ~ 1 / r^s (default 1.0). */
  exponent?: number;
  /** Words of text per document, uniform in [minWords, maxWords] (default 30..90). */
  minWords?: number;
  maxWords?: number;
  /** Words of title, uniform in [minTitle, maxTitle] (default 2..5). */
  minTitle?: number;
  maxTitle?: number;
}

const CONSONANTS = 'bdfgklmnprstvz';
const VOWELS = 'aeiou';
const FINALS = 'klnrst';
const SYLLABLES: string[] = [];
for (const c of CONSONANTS) for (const v of VOWELS) SYLLABLES.push(c + v);

/**
 * The i-th pseudo-word (a bijection from integers >= 0): two or more consonant-vowel syllables and a
 * final consonant, e.g. "bakon", "tizumel". Never in upstream's stopword list (a handful, such as "never" or "seven", are in
 * the stdlib list of the default tokenizer), never shorter than 5 letters.
 */
export function pseudoWord(i: number): string {
  const S = SYLLABLES.length;
  let q = Math.floor(i / FINALS.length);
  const fin = FINALS[i % FINALS.length];
  let syl = 2;
  let span = S * S;
  while (q >= span) {
    q -= span;
    syl++;
    span *= S;
  }
  let w = '';
  for (let k = 0; k < syl; k++) {
    w = SYLLABLES[q % S] + w;
    q = Math.floor(q / S);
  }
  return w + fin;
}

const zipfCache = new Map<string, { cdf: Float64Array; words: string[] }>();

/** The cumulative Zipf weights and the word of each rank (ranks scattered over the word ids). */
function zipfTable(vocabulary: number, exponent: number): { cdf: Float64Array; words: string[] } {
  const key = `${vocabulary}/${exponent}`;
  let t = zipfCache.get(key);
  if (!t) {
    const cdf = new Float64Array(vocabulary);
    let acc = 0;
    for (let r = 0; r < vocabulary; r++) {
      acc += 1 / Math.pow(r + 1, exponent);
      cdf[r] = acc;
    }
    // rank -> word through a fixed bijective scramble of the rank into [0, 2^21), so the most
    // frequent words are not the shortest or alphabetically first ones
    const words = new Array<string>(vocabulary);
    for (let r = 0; r < vocabulary; r++) words[r] = pseudoWord(scramble21(r));
    t = { cdf, words };
    zipfCache.set(key, t);
  }
  return t;
}

const MASK21 = (1 << 21) - 1;

/** A bijection of [0, 2^21): odd multiplications and xor-shifts modulo 2^21. */
export function scramble21(x: number): number {
  if (x > MASK21) throw new RangeError('scramble21: vocabulary over 2^21 words');
  x = Math.imul(x, 0x9e3779b1) & MASK21;
  x ^= x >>> 11;
  x = Math.imul(x, 0x85ebca6b) & MASK21;
  x ^= x >>> 9;
  return x >>> 0;
}

/**
 * n synthetic documents, generated one at a time from `seed` (deterministic: the same seed gives
 * the same documents, and a smaller n gives a prefix of a larger one).
 */
export function* synthetic(n: number, seed = DEFAULT_SYNTHETIC_SEED, opts: SyntheticOptions = {}): Generator<CollectionDoc> {
  const vocabulary = opts.vocabulary ?? 200_000;
  const exponent = opts.exponent ?? 1.0;
  const minWords = opts.minWords ?? 30;
  const maxWords = opts.maxWords ?? 90;
  const minTitle = opts.minTitle ?? 2;
  const maxTitle = opts.maxTitle ?? 5;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`synthetic: n must be a non-negative integer, got ${n}`);
  if (!(vocabulary >= 1) || !(minWords >= 1) || maxWords < minWords || !(minTitle >= 0) || maxTitle < minTitle) throw new RangeError('synthetic: bad options');
  const { cdf, words } = zipfTable(vocabulary, exponent);
  const total = cdf[vocabulary - 1];
  const rng = new Prng(seed);
  const draw = (): string => {
    const u = rng.next() * total;
    let lo = 0;
    let hi = vocabulary - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    return words[lo];
  };
  const phrase = (count: number): string => {
    const parts = new Array<string>(count);
    for (let k = 0; k < count; k++) parts[k] = draw();
    return parts.join(' ');
  };
  for (let i = 0; i < n; i++) {
    const nt = minTitle + rng.int(maxTitle - minTitle + 1);
    const nw = minWords + rng.int(maxWords - minWords + 1);
    const title = phrase(nt);
    const text = phrase(nw);
    yield { id: `syn-${i}`, title, text };
  }
}

/** Write the synthetic collection to <cache>/synthetic-<n>-s<seed>/docs.jsonl (once); returns its path. */
export function writeSynthetic(n: number, seed = DEFAULT_SYNTHETIC_SEED, opts: { cacheDir?: string; log?: (l: string) => void } = {}): string {
  const dir = join(opts.cacheDir ?? cacheRoot(), `synthetic-${n}-s${seed}`);
  const out = join(dir, 'docs.jsonl');
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const w = new AtomicLineWriter(out);
  for (const d of synthetic(n, seed)) w.line(JSON.stringify(d));
  const tmpBytes = w.finish();
  writeJsonAtomic(join(dir, 'meta.json'), {
    name: 'synthetic',
    count: w.count,
    bytes: tmpBytes,
    source: { generator: 'scripts/collections.ts synthetic()', seed, vocabulary: 200_000, exponent: 1.0, words: '30..90', titleWords: '2..5' },
    format: 'jsonl {"id","title","text"}',
  } satisfies CollectionMeta);
  w.commit();
  opts.log?.(`collections: wrote ${w.count} synthetic documents to ${out}`);
  return out;
}

// ---- streaming ----------------------------------------------------------------------------------

/** The documents of a JSONL file in arrays of `batchSize`, at most `limit` documents in all. */
export async function* readJsonlBatches(path: string, batchSize = 10_000, limit = Infinity): AsyncGenerator<CollectionDoc[]> {
  if (!existsSync(path)) throw new Error(`documents file not found: ${path}`);
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let batch: CollectionDoc[] = [];
  let seen = 0;
  let lineNo = 0;
  try {
    for await (const line of rl) {
      lineNo++;
      if (seen >= limit) break;
      if (line.trim() === '') continue;
      let d: CollectionDoc;
      try {
        d = JSON.parse(line) as CollectionDoc;
      } catch (e) {
        throw new Error(`${path}:${lineNo}: malformed JSON (${(e as Error).message})`);
      }
      batch.push(d);
      seen++;
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } finally {
    rl.close();
  }
  if (batch.length > 0) yield batch;
}

/** An iterable cut into arrays of `size`. */
export function* inBatches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let batch: T[] = [];
  for (const x of items) {
    batch.push(x);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Lines of a file (fast count for meta-less collections). */
export function countLines(path: string): number {
  const buf = readFileSync(path);
  let n = 0;
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) n++;
  if (buf.length > 0 && buf[buf.length - 1] !== 10) n++;
  return n;
}

// ---- CLI ----------------------------------------------------------------------------------------

const USAGE = 'usage: node dist/scripts/collections.js wordnet | synthetic --n N [--seed S] | manpages | wordnet-examples';

async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  let n = 1_000_000;
  let seed = DEFAULT_SYNTHETIC_SEED;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const num = () => {
      const v = Number(rest[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${a} needs a non-negative integer`);
      return v;
    };
    if (a === '--n') n = num();
    else if (a === '--seed') seed = num();
    else throw new Error(`unknown argument "${a}"\n${USAGE}`);
  }
  if ((EVAL_COLLECTIONS as readonly string[]).includes(name)) {
    const p = ensureEvalCollection(name, { log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${p.dir}\n${readFileSync(join(p.dir, 'meta.json'), 'utf8')}`);
    return 0;
  }
  if (name !== 'wordnet' && name !== 'synthetic') throw new Error(USAGE);
  const t0 = performance.now();
  const path = await ensureCollection(name, { n, seed, log: (l) => process.stderr.write(`${l}\n`) });
  const meta = readMeta(path);
  const count = meta?.count ?? countLines(path);
  const bytes = statSync(path).size;
  process.stdout.write(`${path}\n`);
  process.stdout.write(`${name}: ${count} documents, ${bytes} bytes${meta?.source.version ? `, ${String(meta.source.package)} ${String(meta.source.version)}` : ''} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`collections: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
