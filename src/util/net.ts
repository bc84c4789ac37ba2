import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The low end of the range the kernel hands out for port 0 (32768 when it cannot be read). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A free TCP port on 127.0.0.1 for a process that must restart on the same port (a coordinator in
 * tests and fault injection). It is taken below the ephemeral range, so that processes binding port 0
 * cannot grab it while its owner is down.
 */
export async function freePort(): Promise<number> {
  const high = Math.min(ephemeralLow(), 65536) - 1;
  const low = Math.max(10_000, high - 12_000);
  let p = low + ((process.pid * 7919) % (high - low));
  for (let i = 0; i < high - low; i++, p = p + 1 > high ? low : p + 1) if (await canBind(p)) return p;
  throw new Error('no free port below the ephemeral range');
}
