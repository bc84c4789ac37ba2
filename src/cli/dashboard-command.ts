import { Command } from 'commander';
import { dashboardApp } from '../dashboard/app.js';
import type { Engine } from '../engine/engine.js';
import { InputError } from '../io/files.js';
import { listenHttp } from '../util/http.js';
import { addClientOptions, connect } from './cluster-commands.js';
import { intArg } from './common.js';

export const DEFAULT_DASHBOARD_PORT = 7077;

/**
 * Serve the dashboard for `engine` on host:port, print its URL, and keep serving until SIGINT or
 * SIGTERM; then stop the server and close the engine.
 */
export async function serveDashboard(engine: Engine, host: string, port: number, title: string): Promise<void> {
  const { app, feed } = dashboardApp(engine, { title });
  const http = await listenHttp(app.fetch, host, port).catch(async (e: Error) => {
    await engine.close();
    throw new InputError(e.message);
  });
  process.stdout.write(`dashboard http://${host.includes(':') ? `[${host}]` : host}:${http.port}/ (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  feed.stop();
  await http.close();
  await engine.close();
}

export function addDashboardOptions(cmd: Command, defaultPort = DEFAULT_DASHBOARD_PORT): Command {
  return cmd.option('--http-port <port>', `dashboard port (0 = any free port)`, intArg('--http-port', 0), defaultPort).option('--host <host>', 'dashboard address to listen on', '127.0.0.1');
}

export function dashboardCommand(): Command {
  const cmd = new Command('dashboard').description('serve a live web dashboard of a cluster: shards, ticks, queries, a graph explorer');
  addDashboardOptions(cmd);
  addClientOptions(cmd);
  return cmd.action(async (o: { httpPort: number; host: string; coordinator?: string; token?: string; tlsCa?: string }) => {
    const engine = connect(o);
    // fail now, with the reason, when the coordinator cannot be reached or refuses the token
    await engine.stats();
    await serveDashboard(engine, o.host, o.httpPort, `cluster at ${engine.coordinator.address}`);
  });
}
