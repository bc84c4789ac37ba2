/**
 * Evaluation collections with judgments, built from sources installed here and cached OUTSIDE the
 * repository in <cache>/eval/<name>/ (cache root as in collections.ts: $PHAGO_CACHE or ~/.cache/phago):
 *
 *   docs.jsonl          {"id","title","text"} in a fixed order
 *   queries-dev.jsonl   {"qid","text"}: tune on these
 *   queries-test.jsonl  {"qid","text"}: report these, never tune on them
 *   qrels.txt           TREC qrels `qid 0 docid 1` (known-item: one relevant document per query)
 *   meta.json           counts and sources
 *
 * The split is by a hash of the query id (sha1, first byte even → dev, odd → test): stable, about
 * 50/50, and independent of the order the sources list things in.
 *
 * - manpages: the pages of Debian's `manpages` and `manpages-dev` (dpkg -L; `.so` redirects skipped).
 *   Query = the NAME line's one-line description ("formatted output conversion"); the relevant
 *   document = the rest of the page with the NAME section removed; title = "name(section)".
 * - wordnet-examples: every WordNet synset (wordnet-base) is a document: title = its words, text = its
 *   definition WITHOUT the example sentences. Query = the synset's first example sentence ("he
 *   ran the country"), relevant = the synset it illustrates: which of the word's senses is meant, with
 *   the example not in any document (no verbatim leak).
 *
 * Debian package descriptions are deliberately NOT used (kept for independent checks).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EVAL_COLLECTIONS, evalPaths, isEvalCollection, sampleOrder, splitOf, type EvalCollectionName, type EvalCollectionPaths, type Split } from '../src/eval/collections.js';
import { parseWordnetLine, WORDNET_DIR, WORDNET_FILES, type CollectionDoc } from './collections.js';

export { EVAL_COLLECTIONS, evalPaths, sampleOrder, splitOf, type EvalCollectionName, type EvalCollectionPaths, type Split };

export interface EvalQuery {
  qid: string;
  text: string;
}

export interface EvalSet {
  docs: CollectionDoc[];
  queries: EvalQuery[];
  /** qid → the id of its one relevant document. */
  relevant: Map<string, string>;
}

// ---- man pages ----------------------------------------------------------------------------------

/** troff escapes to plain text (enough for the tokenizer: fonts, sizes, special characters). */
export function stripEscapes(s: string): string {
  return s
    .replace(/\\f(\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\s[+-]?\d/g, '')
    .replace(/\\\*(\[[^\]]*\]|\(..|.)/g, '')
    .replace(/\\\(em|\\\(en/g, ' - ')
    .replace(/\\\(..|\\\[[^\]]*\]/g, ' ')
    .replace(/\\[-&e|^~ 0c%:]/g, (m) => (m === '\\-' ? '-' : m === '\\e' ? '\\' : m === '\\ ' || m === '\\~' || m === '\\0' ? ' ' : ''))
    .replace(/\\(.)/g, '$1');
}

/** The arguments of a macro line, quotes removed. */
function macroArgs(rest: string): string {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"|(\S+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push((m[1] ?? m[2]).replace(/""/g, '"'));
  return out.join(' ');
}

/** Macros whose arguments are text of the page (fonts, headings, tagged paragraphs). */
const TEXT_MACROS = new Set(['B', 'I', 'BR', 'IR', 'RB', 'BI', 'IB', 'RI', 'SM', 'SB', 'SH', 'SS', 'IP', 'TP', 'UR', 'MT', 'Nm', 'Nd', 'Xr', 'Fn', 'Fa', 'Ar', 'Fl', 'Pa', 'Em', 'Sy']);

/**
 * One man page's troff source → its NAME description and the rest of its text; null for a `.so`
 * redirect or a page without a NAME line of the form "names \- description".
 */
export function parseManPage(src: string): { names: string; description: string; body: string } | null {
  const lines = src.split('\n');
  let section = '';
  const name: string[] = [];
  const body: string[] = [];
  for (const raw of lines) {
    if (raw.startsWith('.\\"') || raw.startsWith("'\\\"") || raw.startsWith('.\\}')) continue;
    if (/^\.so\s/.test(raw)) return null;
    let text: string;
    const m = /^[.'](\S+)\s*(.*)$/.exec(raw);
    if (m) {
      const mac = m[1];
      if (mac === 'SH' || mac === 'Sh') {
        section = macroArgs(m[2]).toUpperCase();
        if (section !== 'NAME') body.push(stripEscapes(macroArgs(m[2])));
        continue;
      }
      if (!TEXT_MACROS.has(mac)) continue;
      text = stripEscapes(macroArgs(m[2]));
    } else text = stripEscapes(raw);
    if (section === 'NAME') name.push(text);
    else body.push(text);
  }
  const line = name.join(' ').replace(/\s+/g, ' ').trim();
  const dash = line.search(/ - /);
  if (dash < 0) return null;
  const description = line.slice(dash + 3).trim();
  if (description === '') return null;
  return { names: line.slice(0, dash).trim(), description, body: body.join('\n').replace(/\n{2,}/g, '\n').trim() };
}

export const MAN_PACKAGES = ['manpages', 'manpages-dev'];

function dpkgList(pkg: string): string[] {
  try {
    return execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n');
  } catch {
    throw new Error(`the Debian package "${pkg}" is not installed (apt-get install ${MAN_PACKAGES.join(' ')})`);
  }
}

/** The man pages collection from a list of page files (paths like /usr/share/man/man3/printf.3.gz). */
export function manpagesFrom(files: readonly string[], read: (path: string) => string): EvalSet {
  const docs: CollectionDoc[] = [];
  const queries: EvalQuery[] = [];
  const relevant = new Map<string, string>();
  const seen = new Set<string>();
  for (const f of [...files].sort()) {
    const m = /\/man(\d\w*)\/([^/]+)\.\d\w*(\.gz)?$/.exec(f);
    if (!m) continue;
    const id = `man:${m[1]}:${m[2]}`;
    if (seen.has(id)) continue;
    const page = parseManPage(read(f));
    if (!page || page.body === '') continue;
    seen.add(id);
    docs.push({ id, title: `${m[2]}(${m[1]})`, text: page.body });
    queries.push({ qid: id, text: page.description });
    relevant.set(id, id);
  }
  return { docs, queries, relevant };
}

function buildManpages(): { set: EvalSet; source: Record<string, unknown> } {
  const files = MAN_PACKAGES.flatMap(dpkgList).filter((p) => /^\/usr\/share\/man\/man[^/]+\/[^/]+\.gz$/.test(p) && existsSync(p));
  const set = manpagesFrom(files, (p) => {
    try {
      return gunzipSync(readFileSync(p)).toString('utf8');
    } catch {
      return ''; // a dangling symlink or a broken file: no page
    }
  });
  return { set, source: { packages: MAN_PACKAGES, versions: MAN_PACKAGES.map(dpkgVersion), files: files.length } };
}

function dpkgVersion(pkg: string): string | null {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

// ---- WordNet examples ---------------------------------------------------------------------------

/** A WordNet gloss → its definition and its example sentences (the double-quoted parts). */
export function splitGloss(gloss: string): { definition: string; examples: string[] } {
  const examples: string[] = [];
  const definition = gloss
    .replace(/"([^"]*)"/g, (_m, ex: string) => {
      if (ex.trim() !== '') examples.push(ex.trim());
      return '';
    })
    .replace(/[;\s]+$/g, '')
    .replace(/(;\s*)+/g, '; ')
    .trim();
  return { definition, examples };
}

export function wordnetExamplesFrom(lines: Iterable<{ line: string; pos: 'n' | 'v' | 'a' | 'r' }>): EvalSet {
  const docs: CollectionDoc[] = [];
  const queries: EvalQuery[] = [];
  const relevant = new Map<string, string>();
  for (const { line, pos } of lines) {
    const d = parseWordnetLine(line, pos);
    if (!d) continue;
    const { definition, examples } = splitGloss(d.text === d.title ? '' : d.text);
    docs.push({ id: d.id, title: d.title, text: definition === '' ? d.title : definition });
    if (examples.length > 0) {
      const qid = `q${d.id}`;
      queries.push({ qid, text: examples[0] });
      relevant.set(qid, d.id);
    }
  }
  return { docs, queries, relevant };
}

function buildWordnetExamples(): { set: EvalSet; source: Record<string, unknown> } {
  const lines = function* () {
    for (const { file, pos } of WORDNET_FILES) {
      const p = join(WORDNET_DIR, file);
      if (!existsSync(p)) throw new Error(`${p} is missing: apt-get install wordnet-base`);
      for (const line of readFileSync(p, 'utf8').split('\n')) yield { line, pos };
    }
  };
  return { set: wordnetExamplesFrom(lines()), source: { package: 'wordnet-base', version: dpkgVersion('wordnet-base'), dir: WORDNET_DIR } };
}

// ---- cache --------------------------------------------------------------------------------------

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Write an eval set's files (docs.jsonl last: its presence means the collection is complete). */
export function writeEvalSet(paths: EvalCollectionPaths, name: string, set: EvalSet, source: Record<string, unknown>): void {
  mkdirSync(paths.dir, { recursive: true });
  const bySplit: Record<Split, EvalQuery[]> = { dev: [], test: [] };
  for (const q of set.queries) bySplit[splitOf(q.qid)].push(q);
  const jsonl = (xs: readonly unknown[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
  writeAtomic(paths.queries.dev, jsonl(bySplit.dev));
  writeAtomic(paths.queries.test, jsonl(bySplit.test));
  writeAtomic(paths.qrels, [...set.relevant].map(([q, d]) => `${q} 0 ${d} 1`).join('\n') + '\n');
  writeAtomic(join(paths.dir, 'meta.json'), JSON.stringify({ name, documents: set.docs.length, queries: { dev: bySplit.dev.length, test: bySplit.test.length }, split: 'sha1(qid)[0] even → dev, odd → test', source }, null, 2) + '\n');
  writeAtomic(paths.docs, jsonl(set.docs));
}

/** The paths of an eval collection, building it on first use (idempotent). */
export function ensureEvalCollection(name: string, opts: { cacheDir?: string; log?: (l: string) => void } = {}): EvalCollectionPaths {
  if (!isEvalCollection(name)) throw new Error(`unknown eval collection "${name}" (known: ${EVAL_COLLECTIONS.join(', ')})`);
  const n: EvalCollectionName = name;
  const paths = evalPaths(n, opts.cacheDir);
  if (existsSync(paths.docs)) return paths;
  opts.log?.(`collections: building the ${n} eval collection in ${paths.dir}`);
  const { set, source } = n === 'manpages' ? buildManpages() : buildWordnetExamples();
  writeEvalSet(paths, n, set, source);
  opts.log?.(`collections: ${set.docs.length} documents, ${set.queries.length} queries`);
  return paths;
}
