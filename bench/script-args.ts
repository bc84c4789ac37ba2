import { readFileSync } from 'node:fs';

/** The value after `--name` on this script's command line, or `def` when absent. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? def;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  return statSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds of a process's main thread alone (/proc/PID/task/PID: the thread whose id is the
 * process's). The rest of `cpuSeconds` ran on V8's and libuv's other threads: optimizing compiles,
 * the collector's concurrent and parallel work, file I/O.
 */
export function mainThreadSeconds(pid: number): number {
  return statSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statSeconds(path: string): number {
  const f = readFileSync(path, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}
