import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { DocumentInput } from '../core/input.js';

/** A user-facing input error: the CLI prints the message and exits non-zero. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export function readText(path: string, what: string): string {
  if (!existsSync(path)) throw new InputError(`${what} not found: ${path}`);
  if (statSync(path).isDirectory()) throw new InputError(`${what} is a directory, expected a file: ${path}`);
  return readFileSync(path, 'utf8');
}

/** Parse JSON lines; blank lines are skipped; a bad line is reported by number. */
export function parseJsonl(text: string, path: string): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (e) {
      throw new InputError(`${path}:${i + 1}: malformed JSON (${(e as Error).message})`);
    }
  }
  return out;
}

/** Documents from JSONL: {"id","title","text"} per line (`id` and `title` optional). */
export function readDocsJsonl(path: string): DocumentInput[] {
  return parseJsonl(readText(path, 'documents file'), path).map(({ line, value }) => {
    const v = value as Record<string, unknown>;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${path}:${line}: expected a JSON object`);
    if (typeof v.text !== 'string') throw new InputError(`${path}:${line}: "text" must be a string`);
    if (v.text.trim() === '') throw new InputError(`${path}:${line}: empty document (no text)`);
    if (v.id !== undefined && typeof v.id !== 'string' && typeof v.id !== 'number') throw new InputError(`${path}:${line}: "id" must be a string`);
    if (v.title !== undefined && typeof v.title !== 'string') throw new InputError(`${path}:${line}: "title" must be a string`);
    return { id: v.id === undefined ? undefined : String(v.id), title: (v.title as string | undefined) ?? '', text: v.text };
  });
}

/** Documents from a path: a .jsonl file, a text file, or a folder of .txt/.md/.jsonl files (sorted by name). */
export function readDocsFromPath(path: string): DocumentInput[] {
  if (!existsSync(path)) throw new InputError(`not found: ${path}`);
  if (statSync(path).isDirectory()) {
    const out: DocumentInput[] = [];
    for (const name of readdirSync(path).sort()) {
      const p = join(path, name);
      if (statSync(p).isDirectory()) out.push(...readDocsFromPath(p));
      else if (['.jsonl', '.txt', '.md'].includes(extname(name))) out.push(...readDocsFromPath(p));
    }
    return out;
  }
  if (extname(path) === '.jsonl') return readDocsJsonl(path);
  const text = readText(path, 'document');
  if (text.trim() === '') throw new InputError(`${path}: empty document (no text)`);
  const title = basename(path, extname(path));
  return [{ id: title, title, text }];
}

export interface Query {
  qid: string;
  text: string;
}

export function readQueriesJsonl(path: string): Query[] {
  return parseJsonl(readText(path, 'queries file'), path).map(({ line, value }) => {
    const v = value as Record<string, unknown>;
    if (v === null || typeof v !== 'object') throw new InputError(`${path}:${line}: expected a JSON object`);
    if (typeof v.qid !== 'string' && typeof v.qid !== 'number') throw new InputError(`${path}:${line}: "qid" must be a string`);
    if (typeof v.text !== 'string' || v.text.trim() === '') throw new InputError(`${path}:${line}: "text" must be a non-empty string`);
    return { qid: String(v.qid), text: v.text };
  });
}

/** TREC qrels: `qid iter docid rel` per line (rel an integer; rel > 0 is relevant). */
export type Qrels = Map<string, Map<string, number>>;

export function readQrels(path: string): Qrels {
  const qrels: Qrels = new Map();
  const lines = readText(path, 'qrels file').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 4 || !/^-?\d+$/.test(parts[3]))
      throw new InputError(`${path}:${i + 1}: cannot parse qrels line "${line}" (expected: qid 0 docid relevance)`);
    const [qid, , docid, rel] = parts;
    let m = qrels.get(qid);
    if (!m) qrels.set(qid, (m = new Map()));
    m.set(docid, Number(rel));
  });
  return qrels;
}
