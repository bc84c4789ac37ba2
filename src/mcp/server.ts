import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { describeError } from '../rpc/client.js';
import { PhagoTools } from './tools.js';

/** Recent documents listed as resources. */
export const RECENT_RESOURCES = 50;
const MAX_LABEL = 200;
const MAX_QUERY = 2000;

function ok(value: unknown): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

/** Run a tool; any failure becomes a tool error (isError) with its message, never a crashed server. */
async function run(fn: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return ok(await fn());
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: describeError(e) }] };
  }
}

const label = (what: string) => z.string().min(1).max(MAX_LABEL).optional().describe(what);

/**
 * The phago MCP server: tools phago_remember, phago_recall, phago_explore, phago_forget, phago_status and the
 * documents remembered here as resources phago://documents/{id}. One McpServer per connection
 * (stdio: one; Streamable HTTP: one per request), all over the same PhagoTools.
 */
export function createMcpServer(tools: PhagoTools, version: string): McpServer {
  const server = new McpServer({ name: 'phago', version }, { instructions: 'phago is a knowledge-graph memory. Store texts with phago_remember, find them again with phago_recall (documents ranked by BM25 over the graph-expanded query, and concepts), walk the concept graph with phago_explore, take a document back out with phago_forget, and check the colony with phago_status.' });

  server.registerTool(
    'phago_remember',
    {
      title: 'Remember a document',
      description: 'Store a text in the memory and digest it into the concept graph before answering. Returns the document id (use it to read the document back as the resource phago://documents/{id}), whether it was new, and what changed: concepts (nodes) and edges before → after, and the tick reached. Remembering the same content again changes nothing; the same id with other content is refused.',
      inputSchema: {
        content: z.string().min(1).describe('the text to remember (up to 1 MiB of UTF-8)'),
        title: z.string().max(1000).optional().describe('a short title shown in recall results'),
        id: z.string().min(1).max(1000).optional().describe('your own id for the document; default: an id derived from the content'),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
    },
    (a) => run(() => tools.remember(a)),
  );

  server.registerTool(
    'phago_recall',
    {
      title: 'Recall documents and concepts',
      description: 'Search the memory. Returns ranked documents (id, title, score, a snippet of the text around the query terms) and/or concepts (label, score: how well the concept matches the query and how central it is in the graph). Use concept labels with phago_explore.',
      inputSchema: {
        query: z.string().min(1).max(MAX_QUERY).describe('what to look for, in words'),
        k: z.number().int().min(1).max(100).optional().describe('how many results of each kind (default 5)'),
        target: z.enum(['documents', 'concepts', 'both']).optional().describe('what to return (default both)'),
      },
      annotations: { readOnlyHint: true },
    },
    (a) => run(() => tools.recall(a)),
  );

  server.registerTool(
    'phago_explore',
    {
      title: 'Explore the concept graph',
      description: 'Walk the concept graph. kind "neighbours" (needs label): the concepts most strongly wired to it, with edge weight and co-activations. kind "path" (needs from and to): the strongest chain of concepts linking two concepts. kind "central": the concepts most paths go through. kind "bridges": the concepts whose removal would split the graph. Labels are lowercase words as returned by phago_recall.',
      inputSchema: {
        kind: z.enum(['neighbours', 'path', 'central', 'bridges']).describe('what to explore'),
        label: label('concept label (kind "neighbours")'),
        from: label('first concept label (kind "path")'),
        to: label('second concept label (kind "path")'),
        k: z.number().int().min(1).max(100).optional().describe('how many results (default 10)'),
      },
      annotations: { readOnlyHint: true },
    },
    (a) => run(() => tools.explore(a)),
  );

  server.registerTool(
    'phago_forget',
    {
      title: 'Forget a document',
      description: 'Take a document out of the memory: its text and index entries leave at once (no recall returns it afterwards), and what it contributed to the concept graph is withdrawn in a tick run before answering. Pass the id phago_remember answered (or your own id given to it). An unknown id is an error and forgets nothing. To update a document, forget it and remember the new text under the same id.',
      inputSchema: {
        id: z.string().min(1).max(1000).describe('the document id (as phago_remember answered it) or your own id'),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    },
    (a) => run(() => tools.forget(a)),
  );

  server.registerTool(
    'phago_status',
    {
      title: 'Status of the memory',
      description: 'The state of the memory: documents (digested and pending), concepts, edges, the current tick, and on a cluster its epoch, tick phase and shards (address, status, counts, last heartbeat).',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    () => run(() => tools.status()),
  );

  server.registerResource(
    'document',
    new ResourceTemplate('phago://documents/{id}', {
      list: async () => ({
        resources: tools.recent(RECENT_RESOURCES).map((d) => ({ uri: `phago://documents/${encodeURIComponent(d.id)}`, name: d.title || d.key || d.id, title: d.title || d.key || d.id, mimeType: 'text/plain', description: `remembered document ${d.key || d.id}` })),
      }),
    }),
    { title: 'Remembered documents', description: `The documents remembered through this server (the ${RECENT_RESOURCES} most recent are listed), by document id.`, mimeType: 'text/plain' },
    async (uri, vars) => {
      const id = decodeURIComponent(String(vars.id));
      const d = tools.document(id);
      if (!d) throw new Error(`no document ${id.slice(0, 200)} was remembered through this server`);
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: d.title ? `${d.title}\n\n${d.text}` : d.text }] };
    },
  );
  return server;
}
