import { Command } from 'commander';
import { addClientOptions, connect } from './cluster-commands.js';

type ClientOpts = Parameters<typeof connect>[0];

/** phago forget ID... : forget documents on a cluster, all or none (docs/forget.md). */
export function forgetCommand(): Command {
  const cmd = new Command('forget')
    .description('forget documents on a cluster by id (or the key given at ingest), all or none: an unknown id forgets nothing')
    .argument('<ids...>', 'document ids or keys')
    .option('--json', 'print JSON');
  addClientOptions(cmd);
  return cmd.action(async (ids: string[], o: ClientOpts & { json?: boolean }) => {
    const e = connect(o);
    try {
      const r = await e.forget(ids);
      if (o.json) return void console.log(JSON.stringify(r));
      console.log(`${r.forgotten.length} document(s) forgotten; ${r.digested} of them digested: their graph contributions are withdrawn at the next tick`);
    } finally {
      await e.close();
    }
  });
}
