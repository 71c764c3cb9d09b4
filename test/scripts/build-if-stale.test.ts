/**
 * `scripts/build-if-stale.mjs` (run by `npm run demo`): one line of output, no build when the
 * build is fresh, the build's output only when it fails. Run against a scratch workspace whose
 * `scripts/pnpm.mjs` is a stand-in that records each call and "builds" by writing dist files.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-if-stale.mjs', import.meta.url));

// Appends its arguments to calls.log; `run build` writes the dist files, or fails when FAIL_BUILD is set.
const PNPM_STAND_IN = `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
const args = process.argv.slice(2).join(' ');
appendFileSync('calls.log', args + '\\n');
console.log('pnpm output line 1 of ' + args);
console.log('pnpm output line 2 of ' + args);
if (args === 'run build') {
  if (process.env.FAIL_BUILD) { console.error('src/index.ts(1,1): error TS1005'); process.exit(3); }
  mkdirSync('packages/a/dist', { recursive: true });
  for (const f of ['index.js', 'index.cjs', 'index.d.ts']) writeFileSync('packages/a/dist/' + f, '');
}
`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gov-build-if-stale-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, 'packages/a/src'), { recursive: true });
  copyFileSync(SCRIPT, join(root, 'scripts/build-if-stale.mjs'));
  writeFileSync(join(root, 'scripts/pnpm.mjs'), PNPM_STAND_IN);
  writeFileSync(join(root, 'tsup.base.ts'), '');
  writeFileSync(
    join(root, 'packages/a/package.json'),
    JSON.stringify({ name: 'a', main: './dist/index.cjs', types: './dist/index.d.ts', exports: { '.': { import: './dist/index.js', require: './dist/index.cjs' } }, scripts: { build: 'tsup' } }),
  );
  writeFileSync(join(root, 'packages/a/src/index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'calls.log'), '');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/build-if-stale.mjs'), ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const calls = () => readFileSync(join(root, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean);

/** Sets a file's modification time `secondsFromNow` away from now. */
function age(file: string, secondsFromNow: number): void {
  const at = new Date(Date.now() + secondsFromNow * 1000);
  utimesSync(join(root, file), at, at);
}

describe('scripts/build-if-stale.mjs', () => {
  it('builds a missing build quietly, in one line naming why', async () => {
    const result = await run([]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^\[build\] packages built in \d+\.\d s \(packages\/a\/dist\/index\.cjs is missing\)\n$/);
    expect(calls()).toEqual(['run build']);
  });

  it('skips a fresh build with one line, and rebuilds once a source is newer', async () => {
    await run([]);
    for (const file of ['packages/a/src/index.ts', 'packages/a/package.json', 'tsup.base.ts']) age(file, -60);
    const fresh = await run(['--install']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^\[build\] dependencies installed; packages are up to date, build skipped \(\d+\.\d s\)\n$/);
    expect(calls()).toEqual(['run build', 'install --frozen-lockfile']);

    age('packages/a/src/index.ts', 60);
    const stale = await run([]);
    expect(stale.stdout).toMatch(/^\[build\] packages built in .* \(packages\/a\/src\/index\.ts changed since the last build\)\n$/);
    expect(calls()).toEqual(['run build', 'install --frozen-lockfile', 'run build']);
  });

  it('shows the build output and fails when the build fails', async () => {
    const result = await run([], { FAIL_BUILD: '1' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('src/index.ts(1,1): error TS1005');
    expect(result.stderr).toContain('pnpm output line 2 of run build');
    expect(result.stdout).toBe('[build] building the packages failed (exit 3); the build output is above\n');
  });
});
