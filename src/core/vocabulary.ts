/** Terms interned to dense numbers (one string per distinct term, however many documents use it). */
export class Vocabulary {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  get size(): number {
    return this.names.length;
  }

  intern(term: string): number {
    let t = this.ids.get(term);
    if (t === undefined) {
      t = this.names.length;
      this.names.push(term);
      this.ids.set(term, t);
    }
    return t;
  }

  /** The number of a term, −1 when it was never interned. */
  find(term: string): number {
    return this.ids.get(term) ?? -1;
  }

  name(t: number): string {
    return this.names[t];
  }
}
