/**
 * Cluster-wide collection statistics kept by the coordinator: document count, total length and the
 * document frequency of every term. Shards report increments when they commit documents, so reads
 * need no fan-out and are never stale past an acknowledged ingest.
 */
export class GlobalStats {
  /** Term → its count in a mutable cell: a report's increment of a known term is one lookup, not a get and a set. */
  private readonly counts = new Map<string, { n: number }>();
  documents = 0;
  totalLength = 0;

  apply(df: ReadonlyMap<string, number>, documents: number, totalLength: number): void {
    for (const [t, n] of df) {
      const c = this.counts.get(t);
      if (c === undefined) {
        if (n !== 0) this.counts.set(t, { n });
      } else if ((c.n += n) === 0) this.counts.delete(t);
    }
    this.documents += documents;
    this.totalLength += totalLength;
  }

  /** Set a term's df (restoring a stored coordinator). */
  set(term: string, n: number): void {
    if (n === 0) this.counts.delete(term);
    else this.counts.set(term, { n });
  }

  get(term: string): number {
    return this.counts.get(term)?.n ?? 0;
  }

  /** Terms with a df other than 0. */
  terms(): IterableIterator<string> {
    return this.counts.keys();
  }
}
