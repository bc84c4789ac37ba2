import { z } from 'zod';

/** Request parameters of the dashboard's JSON endpoints, checked before any engine call. */
const k = (max: number, dflt: number) => z.coerce.number({ error: `must be an integer from 1 to ${max}` }).int({ error: `must be an integer from 1 to ${max}` }).min(1, { error: `must be at least 1` }).max(max, { error: `must be at most ${max}` }).default(dflt);
const label = z.string({ error: 'a concept label is required' }).trim().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' });

export const QueryParams = z.object({ q: z.string({ error: 'the query text is required' }).trim().min(1, { error: 'must not be empty' }).max(2000, { error: 'must be at most 2000 characters' }), k: k(50, 10), target: z.enum(['documents', 'concepts', 'both'], { error: 'must be documents, concepts or both' }).default('both') });
export const NeighboursParams = z.object({ label, k: k(50, 12) });
export const PathParams = z.object({ from: label, to: label });
export const CentralParams = z.object({ k: k(50, 20) });

export class BadRequest extends Error {}

/** Parse a query string against a schema; BadRequest names the parameter and quotes the value (≤ 200 chars). */
export function parseParams<S extends z.ZodType>(schema: S, params: Record<string, string>): z.output<S> {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const name = String(issue.path[0] ?? 'parameters');
  const got = params[name];
  throw new BadRequest(`${name}: ${issue.message}${got === undefined ? ' (missing)' : `, got "${got.slice(0, 200)}"`}`);
}
