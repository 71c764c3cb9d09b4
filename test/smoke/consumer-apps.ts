/**
 * Helpers of the consumer smoke test: pack the public packages with pnpm, install the tarballs
 * with npm into scratch apps, run commands there with a deadline.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const APPS = fileURLToPath(new URL('./apps/', import.meta.url));

/**
 * The third-party packages the scratch apps install from the npm registry, pinned. The npm
 * cache is keyed by this list, so changing a version starts a fresh cache.
 */
export const THIRD_PARTY = {
  typescript: '5.9.3',
  '@types/node': '20.19.43',
  vitest3: '3.2.7',
  'prom-client': '15.1.3',
} as const;

/** A public package of the workspace and where its packed tarball is. */
export interface PackedPackage {
  name: string;
  dir: string;
  tarball: string;
}

/** The workspace packages that are published (not `private`), by name. */
export function publicPackages(): Array<{ name: string; dir: string }> {
  const out: Array<{ name: string; dir: string }> = [];
  for (const entry of readdirSync(join(ROOT, 'packages'))) {
    const file = join(ROOT, 'packages', entry, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name: string; private?: boolean };
    if (manifest.private !== true) out.push({ name: manifest.name, dir: join(ROOT, 'packages', entry) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for child commands: this process's, minus what the parent test runner and
 * package manager put there (`npm_*`, `VITEST*`, `NODE_OPTIONS`), which would leak into the
 * scratch apps' npm and vitest.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|vitest|pnpm_)/i.test(key) || key === 'NODE_OPTIONS' || key === 'NODE_ENV' || key === 'TEST') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command, collecting its output; kills it after `timeoutMs` (reported in stderr). */
export function run(command: string, args: string[], cwd: string, timeoutMs: number, env?: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[smoke] ${command} ${args.join(' ')} did not finish within ${timeoutMs / 1000} s; killed\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Throws with the command's whole output unless it exited 0. */
export function assertSucceeded(what: string, result: RunResult): RunResult {
  if (result.code !== 0) {
    throw new Error(`[smoke] ${what} failed (exit ${result.code})\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`);
  }
  return result;
}

/** Packs every public package with pnpm (which turns `workspace:` ranges into versions) into `dest`. */
export async function packAll(dest: string): Promise<PackedPackage[]> {
  const packages = publicPackages();
  const filters = packages.flatMap((p) => ['--filter', p.name]);
  assertSucceeded(
    'pnpm pack',
    await run(process.execPath, [join(ROOT, 'scripts/pnpm.mjs'), '-r', ...filters, 'pack', '--pack-destination', dest], ROOT, 300_000),
  );
  return packages.map((p) => {
    const manifest = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as { version: string };
    const tarball = join(dest, `${p.name.replace(/^@/, '').replace('/', '-')}-${manifest.version}.tgz`);
    if (!existsSync(tarball)) throw new Error(`[smoke] pnpm pack did not write ${tarball}`);
    return { ...p, tarball };
  });
}

/**
 * npm's cache for the scratch apps, kept between runs under node_modules/.cache and keyed by
 * the pinned third-party versions; caches of other keys are removed.
 */
export function npmCacheDir(): string {
  const key = createHash('sha256').update(JSON.stringify(THIRD_PARTY)).digest('hex').slice(0, 12);
  const parent = join(ROOT, 'node_modules/.cache/governance-smoke');
  mkdirSync(parent, { recursive: true });
  for (const old of readdirSync(parent)) if (old !== `npm-${key}`) rmSync(join(parent, old), { recursive: true, force: true });
  return join(parent, `npm-${key}`);
}

/** Writes `package.json` for a scratch app and installs it with npm (offline first, shared cache). */
export async function npmInstall(
  dir: string,
  manifest: { type: 'module' | 'commonjs'; dependencies: Record<string, string>; devDependencies?: Record<string, string> },
): Promise<void> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'governance-smoke-app', private: true, version: '1.0.0', ...manifest }, null, 2));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '--cache', npmCacheDir(), '--logs-dir', join(dir, '.npm-logs')];
  assertSucceeded(`npm install in ${dir}`, await run(npm, args, dir, 300_000, { npm_config_update_notifier: 'false' }));
}

/** Reads one file out of a packed tarball (`package/<path>`), or `undefined` when it is not there. */
export async function fileInTarball(tarball: string, path: string): Promise<string | undefined> {
  const result = await run('tar', ['-xzOf', tarball, `package/${path}`], ROOT, 60_000);
  return result.code === 0 ? result.stdout : undefined;
}

/** Every path inside a packed tarball, without the leading `package/`. */
export async function filesInTarball(tarball: string): Promise<string[]> {
  const result = assertSucceeded(`tar -tzf ${tarball}`, await run('tar', ['-tzf', tarball], ROOT, 60_000));
  return result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(/^package\//, ''));
}
