import { queryTerms } from '../text/tokenizer.js';

const WIDTH = 240;
const LEAD = 60;

/**
 * A short excerpt of `text` for a query: a window around the first occurrence of a query term (the
 * phago tokenizer's terms, matched as whole words, case-insensitively), or the beginning of the text.
 * Whitespace is collapsed; "…" marks a cut.
 */
export function snippet(text: string, query: string, width = WIDTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= width) return flat;
  const lower = flat.toLowerCase();
  let at = -1;
  for (const t of queryTerms(query)) {
    const m = new RegExp(`(^|[^\\p{L}\\p{N}])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u').exec(lower);
    if (m && (at < 0 || m.index < at)) at = m.index + m[1].length;
  }
  let start = at < 0 ? 0 : Math.max(0, at - LEAD);
  // start and end on a word boundary when one is near
  if (start > 0) {
    const sp = flat.indexOf(' ', start);
    if (sp >= 0 && sp < at) start = sp + 1;
  }
  let end = Math.min(flat.length, start + width);
  if (end < flat.length) {
    const sp = flat.lastIndexOf(' ', end);
    if (sp > start + width / 2) end = sp;
  }
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}
