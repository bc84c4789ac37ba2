import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), found from this file whether run from src/ or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** The sample corpus shipped with phago (data/phago-corpus, MIT licence, see its README). */
export function sampleCorpus(): { docs: string; queries: string; qrelsDocuments: string; qrelsConcepts: string } {
  const d = join(packageRoot(), 'data', 'phago-corpus');
  return {
    docs: join(d, 'docs.jsonl'),
    queries: join(d, 'queries.jsonl'),
    qrelsDocuments: join(d, 'qrels-documents.txt'),
    qrelsConcepts: join(d, 'qrels-concepts.txt'),
  };
}

/** phago's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
