import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import { listenHttp, type HttpServer } from '../util/http.js';
import { createMcpServer } from './server.js';
import type { PhagoTools } from './tools.js';

/**
 * MCP over Streamable HTTP at http://host:port/mcp, stateless: every POST gets its own McpServer and
 * transport over the shared tools (no session to lose when a client reconnects). JSON answers, no
 * server-initiated stream (GET and DELETE are 405). Host headers are checked against the bound
 * address (DNS rebinding protection) when it is a loopback one.
 */
export async function serveMcpHttp(tools: PhagoTools, version: string, host: string, port: number): Promise<HttpServer> {
  const app = new Hono();
  let allowedHosts: string[] | undefined;
  app.post('/mcp', async (c) => {
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, allowedHosts, enableDnsRebindingProtection: allowedHosts !== undefined });
    const server = createMcpServer(tools, version);
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      void server.close();
    }
  });
  app.on(['GET', 'DELETE'], '/mcp', (c) => c.json({ jsonrpc: '2.0', error: { code: -32000, message: 'method not allowed: this server is stateless, POST JSON-RPC messages to /mcp' }, id: null }, 405));
  app.notFound((c) => c.json({ error: 'not found: the MCP endpoint is POST /mcp' }, 404));
  const http = await listenHttp(app.fetch, host, port);
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') allowedHosts = [`127.0.0.1:${http.port}`, `localhost:${http.port}`, `[::1]:${http.port}`];
  return http;
}
