#!/usr/bin/env node
// Builds the workspace packages only when their build is missing or older than their sources,
// and says so in ONE line; the build's own output is shown only when it fails.
//
//   node scripts/build-if-stale.mjs [--install] [--root DIR]
//
// --install first runs `pnpm install --frozen-lockfile` the same quiet way. Used by `npm run
// demo` and by the consumer smoke test (which must never pack a stale build).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files every package's build also reads. */
const SHARED_INPUTS = ['tsup.base.ts', 'tsconfig.base.json'];

/** Every file below `dir` (none when it does not exist). */
function filesBelow(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/** The build outputs a package's manifest promises: every `./dist/…` path it names. */
function promisedOutputs(manifest) {
  const paths = new Set();
  const visit = (value) => {
    if (typeof value === 'string' && value.startsWith('./dist/')) paths.add(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit([manifest.main, manifest.module, manifest.types, manifest.exports]);
  return [...paths];
}

/**
 * Why the build of the packages under `root` is stale (a short reason), or `undefined` when
 * every promised output exists and is newer than every source the build reads.
 */
export function staleReason(root) {
  const packagesDir = join(root, 'packages');
  const shared = SHARED_INPUTS.map((file) => join(root, file)).filter((file) => existsSync(file));
  let newestInput = { file: '', time: 0 };
  let oldestOutput = { file: '', time: Number.POSITIVE_INFINITY };
  for (const name of readdirSync(packagesDir)) {
    const dir = join(packagesDir, name);
    const manifestFile = join(dir, 'package.json');
    if (!existsSync(manifestFile)) continue;
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (manifest.scripts?.build === undefined) continue;
    const inputs = [manifestFile, ...filesBelow(join(dir, 'src')), ...shared];
    if (existsSync(join(dir, 'tsup.config.ts'))) inputs.push(join(dir, 'tsup.config.ts'));
    for (const file of inputs) {
      const time = statSync(file).mtimeMs;
      if (time > newestInput.time) newestInput = { file, time };
    }
    for (const output of promisedOutputs(manifest)) {
      const file = join(dir, output);
      if (!existsSync(file)) return `${relative(root, file)} is missing`;
      const time = statSync(file).mtimeMs;
      if (time < oldestOutput.time) oldestOutput = { file, time };
    }
  }
  if (newestInput.time > oldestOutput.time) return `${relative(root, newestInput.file)} changed since the last build`;
  return undefined;
}

/** Runs `node scripts/pnpm.mjs …args` in `root`, collecting its output instead of printing it. */
function pnpm(root, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'scripts/pnpm.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: 1, output: `${output}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * Installs (with `install`) and builds when stale. Prints one line on success; on failure the
 * collected output of the failed step, then a line naming it. Resolves the exit code.
 */
export async function buildIfStale({ root, install = false, log = (line) => process.stdout.write(`${line}\n`) }) {
  const started = Date.now();
  if (install) {
    const result = await pnpm(root, ['install', '--frozen-lockfile']);
    if (result.code !== 0) {
      process.stderr.write(result.output);
      log(`[build] pnpm install failed (exit ${result.code}); its output is above`);
      return result.code;
    }
  }
  const reason = staleReason(root);
  const installed = install ? 'dependencies installed; ' : '';
  if (reason === undefined) {
    log(`[build] ${installed}packages are up to date, build skipped (${seconds(started)})`);
    return 0;
  }
  const result = await pnpm(root, ['run', 'build']);
  if (result.code !== 0) {
    process.stderr.write(result.output);
    log(`[build] building the packages failed (exit ${result.code}); the build output is above`);
    return result.code;
  }
  log(`[build] ${installed}packages built in ${seconds(started)} (${reason})`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const rootAt = args.indexOf('--root');
  const root = rootAt >= 0 ? args[rootAt + 1] : fileURLToPath(new URL('..', import.meta.url));
  process.exitCode = await buildIfStale({ root, install: args.includes('--install') });
}
