import type { Presentation } from './graph.js';

// What a digested document presents to the concept graph, and the part of it each holder of a
// cluster needs.

/** What a document presents when digested: every distinct term, the `wiringLimit` most salient wired (0 = all). */
export function presentationOf(salient: readonly string[], wiringLimit: number): Presentation {
  return { labels: salient, wired: wiredCount(salient.length, wiringLimit) };
}

/** How many of a presentation's `terms` most salient terms are wired. */
export function wiredCount(terms: number, wiringLimit: number): number {
  return wiringLimit > 0 ? Math.min(wiringLimit, terms) : terms;
}

/**
 * The parts of a presentation that each holder needs, in one pass over its terms: for every owner of
 * a wired term, the wired terms (for the pairs with an owned endpoint) followed by the other terms it
 * owns; for an owner of only unwired terms, those terms (for their access counts). Applying its part
 * to a holder's keys gives exactly what the whole presentation gives there.
 */
export function splitPresentation<O>(p: Presentation, ownerOf: (label: string) => O): Map<O, Presentation> {
  const w = p.wired;
  const out = new Map<O, { labels: string[]; wired: number; withdrawn?: boolean }>();
  const wired = p.labels.slice(0, w);
  for (let i = 0; i < w; i++) {
    const o = ownerOf(p.labels[i]);
    if (!out.has(o)) out.set(o, p.withdrawn ? { labels: wired.slice(), wired: w, withdrawn: true } : { labels: wired.slice(), wired: w });
  }
  for (let i = w; i < p.labels.length; i++) {
    const o = ownerOf(p.labels[i]);
    let part = out.get(o);
    if (!part) out.set(o, (part = p.withdrawn ? { labels: [], wired: 0, withdrawn: true } : { labels: [], wired: 0 }));
    part.labels.push(p.labels[i]);
  }
  return out;
}

/** The part of a presentation one holder needs (see splitPresentation); null when it owns none of the terms. */
export function restrictPresentation(p: Presentation, ownsLabel: (label: string) => boolean): Presentation | null {
  return splitPresentation(p, ownsLabel).get(true) ?? null;
}
