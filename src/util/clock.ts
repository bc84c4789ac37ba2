/**
 * Wall-clock time for leases, heartbeats and deadlines only. Colony logic never reads it: ticks and
 * the seeded PRNG drive the colony.
 */
export const clock = {
  nowMs: (): number => Date.now(),
};
