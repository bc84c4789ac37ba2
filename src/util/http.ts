import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/** Serve a fetch handler (a hono app's fetch) on host:port (0 = any free port) once it listens. */
export function listenHttp(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, (info: AddressInfo) => {
      server.removeAllListeners('error');
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // open event streams would keep close() waiting: end them too
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new Error(`${host}:${port} is already in use: choose another port with --http-port (0 = any free port)`) : e),
    );
  });
}
