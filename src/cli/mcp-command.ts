import { join } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Command } from 'commander';
import { EmbeddedCluster } from '../engine/embedded.js';
import type { Engine } from '../engine/engine.js';
import { LocalEngine } from '../engine/local.js';
import { InputError } from '../io/files.js';
import { createMcpServer } from '../mcp/server.js';
import { serveMcpHttp } from '../mcp/http.js';
import { PhagoTools } from '../mcp/tools.js';
import { MemoryDocumentLog, SqliteDocumentLog, type DocumentLog } from '../storage/document-log.js';
import type { HttpServer } from '../util/http.js';
import { packageVersion } from '../util/paths.js';
import { addClientOptions, connect } from './cluster-commands.js';
import { addColonyOptions, addSearchOptions, colonyConfigFrom, intArg } from './common.js';

interface McpOpts {
  dataDir?: string;
  coordinator?: string;
  token?: string;
  tlsCa?: string;
  httpPort?: number;
  host: string;
  seed: number;
  digestPerTick: number;
  wiringLimit: number;
  expansion: number;
  coordination: boolean;
}

/** The engine and document log of `phago mcp`: a cluster, a durable embedded colony, or memory. */
async function open(o: McpOpts, cmd: Command): Promise<{ engine: Engine; log: DocumentLog; where: string }> {
  const search = { expansion: o.expansion, coordination: o.coordination };
  if (o.coordinator && o.dataDir) throw new InputError('--data-dir and --coordinator exclude each other (the cluster keeps its own state)');
  // a cluster when one is named: --coordinator, or $PHAGO_COORDINATOR unless --data-dir is given
  if (o.coordinator || (!o.dataDir && process.env.PHAGO_COORDINATOR)) {
    const engine = connect(o);
    return { engine, log: new MemoryDocumentLog(), where: `cluster at ${engine.coordinator.address}` };
  }
  if (o.dataDir) {
    // a coordinator and one shard in this process, both durable under the data directory
    const explicit = ['seed', 'digestPerTick', 'wiringLimit'].some((k) => cmd.getOptionValueSource(k) === 'cli');
    const cluster = await EmbeddedCluster.start({ shards: 1, dataDir: o.dataDir, config: explicit ? colonyConfigFrom(o) : undefined, ...search, log: (m) => process.stderr.write(`${m}\n`) });
    return { engine: cluster.engine(), log: new SqliteDocumentLog(join(o.dataDir, 'mcp')), where: `colony in ${o.dataDir}` };
  }
  return { engine: new LocalEngine(colonyConfigFrom(o), {}, search), log: new MemoryDocumentLog(), where: 'colony in memory' };
}

export function mcpCommand(): Command {
  const cmd = new Command('mcp')
    .description('serve phago to AI agents over the Model Context Protocol (stdio, or Streamable HTTP with --http-port)')
    .option('--data-dir <dir>', 'keep the colony here (durable, recovers after a crash); without it and without --coordinator: memory only')
    .option('--http-port <port>', 'serve Streamable HTTP on http://HOST:PORT/mcp instead of stdio (0 = any free port)', intArg('--http-port', 0))
    .option('--host <host>', 'address to listen on with --http-port', '127.0.0.1');
  addColonyOptions(cmd);
  addSearchOptions(cmd);
  addClientOptions(cmd);
  return cmd.action(async (o: McpOpts) => {
    const { engine, log, where } = await open(o, cmd);
    const tools = new PhagoTools(engine, log);
    const version = packageVersion();
    let http: HttpServer | undefined;
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await http?.close();
      await engine.close().catch(() => undefined);
      log.close();
      process.exit(0);
    };
    if (o.httpPort !== undefined) {
      http = await serveMcpHttp(tools, version, o.host, o.httpPort).catch(async (e: Error) => {
        await engine.close().catch(() => undefined);
        log.close();
        throw new InputError(e.message);
      });
      // stdout: the address, for whoever started this process; logs go to stderr
      process.stdout.write(`mcp http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${http.port}/mcp (${where})\n`);
    } else {
      // stdout carries the protocol only; the server stops when the client closes stdin
      const transport = new StdioServerTransport();
      transport.onclose = () => void stop();
      await createMcpServer(tools, version).connect(transport);
      process.stdin.on('end', () => void stop());
      process.stderr.write(`phago mcp: serving on stdio (${where})\n`);
    }
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
  });
}
