/**
 * Fault injection for tests (like etcd's failpoints): with PHAGO_FAILPOINT=<name> in the environment the
 * process kills itself (SIGKILL) when it reaches that point. Off unless the variable is set.
 */
export function failpoint(name: string): void {
  if (process.env.PHAGO_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
