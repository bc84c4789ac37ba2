// Checking a request against its schema at the edge: the typed value, or INVALID_ARGUMENT naming the
// field, what it must be and at most MAX_QUOTE characters of what it was (src/rpc/schemas.ts holds the
// schemas).
import type { z } from 'zod';
import { rpcError, type RpcError } from './server.js';

/** How many characters of an input value an error message quotes at most. */
export const MAX_QUOTE = 200;

/**
 * A string JSON-quoted, cut to at most `max` characters of its escaped form (never inside an escape
 * or a surrogate pair); `note` adds the length of what was cut.
 */
function quoteString(s: string, max = MAX_QUOTE, note = true): string {
  let out = '';
  let cut = false;
  let i = 0;
  for (const ch of s) {
    const q = JSON.stringify(ch).slice(1, -1);
    if (out.length + q.length > max) {
      cut = true;
      break;
    }
    out += q;
    i += ch.length;
  }
  if (!cut && i === s.length) return `"${out}"`;
  return note ? `"${out}…" (${s.length} characters)` : `"${out}…"`;
}

/** An input value as an error message shows it: at most MAX_QUOTE characters of it. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return quoteString(v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch {
    json = undefined;
  }
  if (json === undefined) return typeof v;
  return json.length <= MAX_QUOTE ? json : `${json.slice(0, MAX_QUOTE)}… (${json.length} characters)`;
}

/** A field path as a person reads it: docs[3].id, df["term"]. */
function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) && p.length <= 64) out += out ? `.${p}` : p;
    else out += `[${quoteString(String(p), 40, false)}]`;
  }
  return out || 'request';
}

/** The value at `path` in `root` (undefined where there is none). */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** Messages for issues a schema does not word itself. */
const fallback: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === 'invalid_type') return `must be ${iss.expected === 'object' ? 'a message (an object)' : `a ${iss.expected}`}`;
  return undefined;
};

/** One issue as a person reads it: the field, what was expected, what came. */
function describeIssue(req: unknown, iss: z.core.$ZodIssue): string {
  return `${pathOf(iss.path)} ${iss.message}, got ${describeValue(valueAt(req, iss.path))}`;
}

/**
 * Check a request against its schema: the typed value, or INVALID_ARGUMENT naming the field, what it
 * must be and (at most MAX_QUOTE characters of) what it was.
 */
export function parse<S extends z.ZodType>(schema: S, req: unknown, method: string): z.output<S> {
  const r = schema.safeParse(req, { error: fallback });
  if (r.success) return r.data;
  throw invalidRequest(method, req, r.error.issues);
}

function invalidRequest(method: string, req: unknown, issues: readonly z.core.$ZodIssue[]): RpcError {
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return rpcError.invalid(`${method}: ${describeIssue(req, issues[0])}${more}`);
}
