/** BM25's constants and idf (one definition for the first stage, top-k and the re-scoring stage). */
export const BM25_K1 = 1.2;
/** The default length normalization; a colony may set its own (ColonyConfig.bm25B). */
export const BM25_B = 0.75;

/** BM25 idf, in the non-negative form ln(1 + (N − df + 0.5)/(df + 0.5)). */
export function idf(documents: number, df: number): number {
  return Math.log(1 + (documents - df + 0.5) / (df + 0.5));
}
