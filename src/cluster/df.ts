/**
 * Cluster-wide collection statistics kept by the coordinator: document count, total length and the
 * document frequency of every term. Shards report increments when they commit documents, so reads
 * need no fan-out and are never stale past an acknowledged ingest.
 */
export class GlobalStats {
  private readonly counts = new Map<string, number>();
  documents = 0;
  totalLength = 0;

  apply(df: ReadonlyMap<string, number>, documents: number, totalLength: number): void {
    for (const [t, n] of df) {
      const v = (this.counts.get(t) ?? 0) + n;
      if (v === 0) this.counts.delete(t);
      else this.counts.set(t, v);
    }
    this.documents += documents;
    this.totalLength += totalLength;
  }

  /** Set a term's df (restoring a stored coordinator). */
  set(term: string, n: number): void {
    if (n === 0) this.counts.delete(term);
    else this.counts.set(term, n);
  }

  get(term: string): number {
    return this.counts.get(term) ?? 0;
  }

  /** Terms with a df other than 0. */
  terms(): IterableIterator<string> {
    return this.counts.keys();
  }
}
