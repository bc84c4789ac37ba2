import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import type { Engine } from '../src/engine/engine.js';
import type { DocumentInput } from '../src/core/input.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI (tests run from dist/test). */
export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS = join(ROOT, 'data', 'phago-corpus');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the phago CLI in a child process and collect its output. */
export function runCli(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phago ${args.join(' ')} timed out\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Long-running processes a test file started; `killStarted()` in an `after` hook stops them. */
const started: ChildProcess[] = [];

export function killStarted(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** Start a long-running CLI process and wait for the first stdout text matching `re`. */
export function startProcess(args: string[], re: RegExp, timeoutMs = 20_000, env: Record<string, string> = {}): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    started.push(child);
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "${re}" from phago ${args.join(' ')}\n${err.slice(-1500)}`)), timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(re);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`phago ${args.join(' ')} exited with ${code}\n${err.slice(-1500)}`));
    });
  });
}

/** SIGKILL a process and wait (at most `ms`) until it is gone. */
export function killProcess(c: ChildProcess, ms = 10_000): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGKILL');
  return within(gone, ms, `process ${c.pid} did not exit after SIGKILL`);
}

/**
 * Every await on another process or server in the tests goes through a bound: `p`, or a rejection
 * saying what did not happen within `ms`.
 */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} (no answer within ${ms} ms)`)), ms);
    p.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e) => (clearTimeout(timer), reject(e)),
    );
  });
}

/** The exit code of a child process, waiting at most `ms` (then it is killed and the wait fails). */
export function exitOf(c: ChildProcess, ms: number, what: string): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode);
  const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
  return within(exited, ms, what).catch((e) => {
    c.kill('SIGKILL');
    throw e;
  });
}

/** Per-test bounds (node:test fails a test that runs longer, with "test timed out after … ms"). */
export const SHORT = { timeout: 60_000 };
export const LONG = { timeout: 240_000 };

/** Expect a call to fail with a gRPC status (and optionally a message pattern); `what` names the case. */
export async function rejects(p: Promise<unknown>, code: grpc.status, re?: RegExp, what = ''): Promise<void> {
  const pre = what ? `${what}: ` : '';
  try {
    await p;
  } catch (e) {
    const err = e as grpc.ServiceError;
    assert.equal(err.code, code, `${pre}expected ${grpc.status[code]}, got ${grpc.status[err.code]}: ${err.details}`);
    if (re) assert.match(err.details, re, what || undefined);
    return;
  }
  assert.fail(`${pre}expected ${grpc.status[code]}, the call succeeded`);
}

/** Poll `f` until `ok` (calls that fail count as not yet); fails with `what` after `ms`. */
export async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await f();
      if (ok(v)) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} within ${ms} ms (last: ${JSON.stringify(last)})`);
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary directory, removed when this test file's process exits (after every process it started is stopped). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Ingest `docs` into an engine, digest them, and answer each query (top 10 keys with scores, as JSON). */
export async function ingestAndAnswer(e: Engine, docs: DocumentInput[], queries: readonly { text: string }[]): Promise<string[]> {
  await e.ingest(docs);
  await e.tick('digest');
  const out: string[] = [];
  for (const q of queries) out.push(JSON.stringify((await e.searchDocuments(q.text, 10)).hits.map((h) => [h.key, h.score])));
  return out;
}
