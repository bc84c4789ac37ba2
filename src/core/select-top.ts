/**
 * Mark the best `k` of entries 0..m-1 (in a shared scratch array, valid until the next call) (cmp(x, y) > 0 when x is better), with a heap of size k whose
 * top is the worst kept: O(m log k), and one comparison for most entries that lose.
 */
let keptScratch = new Uint8Array(64);
let heapScratch = new Int32Array(64);
export function selectTop(m: number, k: number, cmp: (x: number, y: number) => number): Uint8Array {
  if (keptScratch.length < m) keptScratch = new Uint8Array(m * 2);
  if (heapScratch.length < k) heapScratch = new Int32Array(k * 2);
  const kept = keptScratch;
  kept.fill(0, 0, m);
  const heap = heapScratch;
  let size = 0;
  for (let x = 0; x < m; x++) {
    if (size < k) {
      heap[size] = x;
      for (let i = size++; i > 0; ) {
        const p = (i - 1) >> 1;
        if (cmp(heap[i], heap[p]) >= 0) break;
        const t = heap[i];
        heap[i] = heap[p];
        heap[p] = t;
        i = p;
      }
    } else if (cmp(x, heap[0]) > 0) {
      heap[0] = x;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let w = i;
        if (l < size && cmp(heap[l], heap[w]) < 0) w = l;
        if (r < size && cmp(heap[r], heap[w]) < 0) w = r;
        if (w === i) break;
        const t = heap[i];
        heap[i] = heap[w];
        heap[w] = t;
        i = w;
      }
    }
  }
  for (let i = 0; i < size; i++) kept[heap[i]] = 1;
  return kept;
}
