import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr. On a terminal it is a live bar (cli-progress); otherwise (CI, pipes)
 * it prints a line at every 10% so logs stay short. `quiet` silences it.
 */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

export function progress(label: string, total: number, quiet = false): Progress {
  if (quiet || total <= 0) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label.padEnd(10)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (d) => bar.update(d), stop: () => bar.stop() };
  }
  let lastDecile = -1;
  return {
    update(done) {
      const decile = Math.floor((done / total) * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label}: ${done}/${total} (${Math.round((done / total) * 100)}%)\n`);
      }
    },
    stop() {},
  };
}
