import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkImports } from '../scripts/check-imports.js';
import { ROOT } from './helpers.js';

test('src is layered (docs/architecture.md): no import from a higher layer, no import cycle', () => {
  assert.deepEqual(checkImports(join(ROOT, 'src')), []);
});
