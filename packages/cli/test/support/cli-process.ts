/**
 * Runs the real, built `governance` binary (packages/cli/dist/bin.js) as a child process.
 * `ensureBuiltCli()` builds the CLI first when its dist is missing or older than its sources
 * (one build at a time across test files, through a lock directory); the store and core
 * packages it imports must be built already (`npm test` builds everything first).
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const CLI_DIR = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = `${CLI_DIR}dist/bin.js`;
const LOCK = `${CLI_DIR}.build-lock`;
const DEPENDENCIES = ['core/dist/index.js', 'store-postgres/dist/index.js', 'store-mysql/dist/index.js', 'store-mongodb/dist/index.js'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function stale(): boolean {
  if (!existsSync(BIN)) return true;
  const sources = Math.max(newestSource(`${CLI_DIR}src`), statSync(`${CLI_DIR}package.json`).mtimeMs);
  return statSync(BIN).mtimeMs < sources;
}

/** Builds the CLI when needed; fails with what to run when a package it imports is not built. */
export async function ensureBuiltCli(): Promise<void> {
  const missing = DEPENDENCIES.filter((file) => !existsSync(`${ROOT}packages/${file}`));
  if (missing.length > 0) {
    throw new Error(
      `[cli tests] the CLI runs the BUILT packages and ${missing.join(', ')} is missing: run the build first (npx pnpm@10.34.9 -r --filter "./packages/**" run build)`,
    );
  }
  const deadline = Date.now() + 240_000;
  while (stale()) {
    try {
      mkdirSync(LOCK);
    } catch {
      // Another test file is building: wait for it (polling, with a deadline).
      if (Date.now() > deadline) throw new Error(`[cli tests] waited too long for another build of the CLI (remove ${LOCK} if none runs)`);
      await sleep(250);
      continue;
    }
    try {
      if (!stale()) break;
      const build = spawnSync(process.execPath, [`${ROOT}scripts/pnpm.mjs`, 'run', 'build'], { cwd: CLI_DIR, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`[cli tests] building the CLI failed:\n${build.stdout}\n${build.stderr}`);
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

/**
 * Options for the describe blocks that run the binary: each test spawns one or more CLI processes
 * against real databases, which on a busy shared machine takes far longer than vitest's default.
 */
export const CLI_TESTS = { timeout: 240_000 } as const;

/** What a finished run printed. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliSpawnOptions {
  env?: Record<string, string | undefined>;
  /** Text written to the child's stdin (then closed). */
  stdin?: string;
}

/** A running `governance` process with its output so far. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly done: Promise<CliRun>;

  constructor(
    readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
  ) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.done = new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once stdout or stderr matches `pattern`; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(this.stdout) || pattern.test(this.stderr)) {
          this.child.stdout.off('data', check);
          this.child.stderr.off('data', check);
          resolve();
        }
      };
      this.child.stdout.on('data', check);
      this.child.stderr.on('data', check);
      this.child.once('close', () => reject(new Error(`[cli tests] the CLI exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`)));
      check();
    });
  }
}

/** The test process's environment without colours or a token, plus `extra` (an `undefined` value removes a variable). */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.GOVERNANCE_TOKEN;
  delete env.FORCE_COLOR;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts `governance <args>` (call {@link ensureBuiltCli} first). */
export function spawnCli(args: readonly string[], options: CliSpawnOptions = {}): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const cli = new CliProcess(child);
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.stdin ?? '');
  return cli;
}

/** Runs `governance <args>` to the end. */
export function runCli(args: readonly string[], options: CliSpawnOptions = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
}

/** The run's output, for failure messages. */
export function show(run: CliRun): string {
  return `exit ${run.code ?? run.signal}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}
