import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RwLock } from '../src/util/mutex.js';

const tick = () => new Promise((r) => setImmediate(r));

test('readers share the lock, a writer has it alone, in arrival order', { timeout: 10_000 }, async () => {
  const lock = new RwLock();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const r1 = lock.read(async () => {
    log.push('r1 in');
    await gate;
    log.push('r1 out');
  });
  const r2 = lock.read(async () => log.push('r2'));
  const w = lock.write(async () => log.push('w'));
  const r3 = lock.read(async () => log.push('r3')); // arrives after the writer: waits for it
  await tick();
  assert.deepEqual(log, ['r1 in', 'r2']);
  release();
  await Promise.all([r1, r2, w, r3]);
  assert.deepEqual(log, ['r1 in', 'r2', 'r1 out', 'w', 'r3']);
});

test('a failing section releases the lock', { timeout: 10_000 }, async () => {
  const lock = new RwLock();
  await assert.rejects(lock.write(async () => {
    throw new Error('boom');
  }));
  assert.equal(await lock.read(() => 42), 42);
});
