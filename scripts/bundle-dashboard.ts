/**
 * Bundles the dashboard's browser script (src/dashboard/client, with sigma.js and graphology) into
 * dist/src/dashboard/public/dashboard.js: one self-contained file served by the dashboard, no CDN.
 * Run by `npm run build` after tsc (which type-checks the same sources).
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outfile = join(root, 'dist', 'src', 'dashboard', 'public', 'dashboard.js');
const r = await build({
  entryPoints: [join(root, 'src', 'dashboard', 'client', 'main.ts')],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  outfile,
  logLevel: 'warning',
  metafile: true,
});
const bytes = Object.values(r.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
if (process.env.PHAGO_BUILD_VERBOSE) console.log(`dashboard bundle: ${outfile} (${(bytes / 1024).toFixed(0)} KiB)`);
