/**
 * Cluster-wide collection statistics kept by the coordinator: document count, total length and the
 * document frequency of every term. Shards report increments when they commit documents, so reads
 * need no fan-out and are never stale past an acknowledged ingest.
 */
export class GlobalStats {
  readonly df = new Map<string, number>();
  documents = 0;
  totalLength = 0;

  apply(df: ReadonlyMap<string, number>, documents: number, totalLength: number): void {
    for (const [t, n] of df) {
      const v = (this.df.get(t) ?? 0) + n;
      if (v === 0) this.df.delete(t);
      else this.df.set(t, v);
    }
    this.documents += documents;
    this.totalLength += totalLength;
  }

  get(term: string): number {
    return this.df.get(term) ?? 0;
  }
}
