/**
 * The consumer smoke test: what a user gets from the registry. Every public package is packed
 * with pnpm and the tarballs are installed with npm into scratch apps outside the workspace:
 *
 * - a TypeScript app compiled as ESM with `module: nodenext` and as CommonJS with
 *   `moduleResolution: node` (node10), and a plain CommonJS app: each imports every public
 *   entry point and starts a manager on the memory store;
 * - an app that already depends on vitest 3: installing core must not break npm, and the store
 *   conformance suite runs under that vitest;
 * - `@arethetypeswrong/cli` on every tarball: all resolution modes green.
 *
 * Third-party packages come from the npm registry through a cache kept under
 * node_modules/.cache/governance-smoke (see consumer-apps.ts).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_TESTS, CORE_CONFORMANCE_TESTS } from '../support/conformance-checks';
import {
  APPS,
  ROOT,
  THIRD_PARTY,
  assertSucceeded,
  fileInTarball,
  filesInTarball,
  npmInstall,
  packAll,
  publicPackages,
  run,
  type PackedPackage,
  type RunResult,
} from './consumer-apps';

const MINUTE = 60_000;
const PACKAGES = publicPackages();
const node = process.execPath;
const attwManifest = createRequire(import.meta.url).resolve('@arethetypeswrong/cli/package.json');
const attw = join(dirname(attwManifest), (JSON.parse(readFileSync(attwManifest, 'utf8')) as { bin: { attw: string } }).bin.attw);

let work: string;
let packed: PackedPackage[];

const tarballOf = (name: string): string => {
  const found = packed.find((p) => p.name === name);
  if (found === undefined) throw new Error(`[smoke] ${name} was not packed`);
  return found.tarball;
};
const fileDependencies = (names: string[]): Record<string, string> =>
  Object.fromEntries(names.map((name) => [name, `file:${tarballOf(name)}`]));

/**
 * Work started once the tarballs exist and awaited by the tests that need it: the npm installs
 * (mostly waiting on the network and the disk) overlap with the attw checks (mostly CPU).
 */
interface Background {
  host: Promise<string>;
  vitest3: Promise<string>;
  attw: Map<string, Promise<RunResult>>;
}
let background: Background;

/** Copies a scratch app into the work folder and installs it with npm; resolves its folder. */
async function installApp(name: string, manifest: Parameters<typeof npmInstall>[1]): Promise<string> {
  const dir = join(work, name);
  cpSync(join(APPS, name), dir, { recursive: true });
  await npmInstall(dir, manifest);
  return dir;
}

/** Runs attw on every tarball, one after the other (each run loads a TypeScript compiler). */
function attwAll(): Map<string, Promise<RunResult>> {
  const results = new Map<string, Promise<RunResult>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const { name } of PACKAGES) {
    const result = previous.then(() => run(node, [attw, tarballOf(name), '--format', 'json'], ROOT, 3 * MINUTE));
    results.set(name, result);
    previous = result.catch(() => undefined);
  }
  return results;
}

/** A promise awaited later by a test: keeps an early rejection from being reported as unhandled. */
function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

beforeAll(async () => {
  // Never pack a stale build: builds first when a source is newer than the build (in `npm test`
  // the build is fresh and this is a no-op).
  assertSucceeded('build', await run(node, [join(ROOT, 'scripts/build-if-stale.mjs')], ROOT, 10 * MINUTE));
  work = mkdtempSync(join(tmpdir(), 'governance-smoke-'));
  packed = await packAll(join(work, 'tarballs'));
  const typescript = { typescript: THIRD_PARTY.typescript, '@types/node': THIRD_PARTY['@types/node'] };
  background = {
    host: later(
      installApp('host', {
        type: 'module',
        // prom-client: the optional peer of @governance/core/prometheus, installed by a host that wants metrics.
        dependencies: { ...fileDependencies(PACKAGES.map((p) => p.name)), 'prom-client': THIRD_PARTY['prom-client'] },
        devDependencies: typescript,
      }),
    ),
    vitest3: later(
      installApp('vitest3', {
        type: 'module',
        dependencies: fileDependencies(['@governance/core', '@governance/store-memory']),
        devDependencies: { vitest: THIRD_PARTY.vitest3, ...typescript },
      }),
    ),
    attw: new Map([...attwAll()].map(([name, result]) => [name, later(result)])),
  };
}, 15 * MINUTE);

afterAll(async () => {
  if (work === undefined) return;
  // Let background work end before its folder goes.
  if (background !== undefined) await Promise.allSettled([background.host, background.vitest3, ...background.attw.values()]);
  rmSync(work, { recursive: true, force: true });
}, 10 * MINUTE);

describe('each packed tarball', () => {
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  const rootRepository = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string } }).repository;

  it.each(PACKAGES.map((p) => p.name))('%s ships LICENSE and README, no source maps, and names its repository', async (name) => {
    const tarball = tarballOf(name);
    const files = await filesInTarball(tarball);
    expect(files).toContain('README.md');
    expect(await fileInTarball(tarball, 'LICENSE')).toBe(license);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    const manifest = JSON.parse((await fileInTarball(tarball, 'package.json'))!) as {
      repository?: { url?: string; directory?: string };
      peerDependencies?: Record<string, string>;
      dependencies?: Record<string, string>;
    };
    expect(manifest.repository?.url).toBe(rootRepository.url);
    expect(manifest.repository?.directory).toBe(`packages/${name.replace('@governance/', '')}`);
    const ranges = Object.values({ ...manifest.dependencies, ...manifest.peerDependencies });
    expect(ranges.filter((range) => range.startsWith('workspace:'))).toEqual([]);
    expect(Object.keys(manifest.peerDependencies ?? {})).not.toContain('vitest');
  });

  it.each(PACKAGES.map((p) => p.name))('%s: @arethetypeswrong/cli finds no problem in any resolution mode', async (name) => {
    const result = await background.attw.get(name)!;
    const report = JSON.parse(result.stdout) as { analysis?: { problems?: unknown[] } };
    expect(report.analysis?.problems, result.stdout).toEqual([]);
    expect(result.code).toBe(0);
  }, 10 * MINUTE);
});

describe('apps that install every tarball with npm', () => {
  /** Compiles the host app's src/main.ts with one of its tsconfigs, runs the output, returns its report. */
  async function compileAndRun(tsconfig: string, main: string): Promise<Record<string, unknown>> {
    const host = await background.host;
    assertSucceeded(`tsc -p ${tsconfig}`, await run(node, ['node_modules/typescript/bin/tsc', '-p', tsconfig], host, 3 * MINUTE));
    const result = assertSucceeded(`node ${main}`, await run(node, [main], host, MINUTE));
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  const expected = {
    missing: [],
    runner: 'function',
    rejected: 'healthCheckInterval',
    outcomes: ['created', 'unchanged'],
    stored: 'smoke-1',
    services: ['smoke:smoke-1'],
  };

  it('an ESM TypeScript app (module nodenext) type-checks every entry point and runs a manager', async () => {
    expect(await compileAndRun('tsconfig.esm.json', 'out/esm/main.js')).toEqual(expected);
  }, 10 * MINUTE);

  it('a TypeScript app with moduleResolution node (node10) type-checks every entry point and runs', async () => {
    const host = await background.host;
    mkdirSync(join(host, 'out/node10'), { recursive: true });
    writeFileSync(join(host, 'out/node10/package.json'), '{ "type": "commonjs" }\n');
    expect(await compileAndRun('tsconfig.node10.json', 'out/node10/main.js')).toEqual(expected);
  }, 5 * MINUTE);

  it('a CommonJS app requires every entry point and runs a manager', async () => {
    const host = await background.host;
    const result = assertSucceeded('node cjs/main.cjs', await run(node, ['cjs/main.cjs'], host, MINUTE));
    expect(JSON.parse(result.stdout)).toEqual({ missing: [], running: true });
  }, 2 * MINUTE);
});

describe('an app that already depends on vitest 3', () => {
  it('installs core with npm and runs the conformance suite under vitest 3', async () => {
    const app = await background.vitest3;
    const installed = JSON.parse(readFileSync(join(app, 'node_modules/vitest/package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe(THIRD_PARTY.vitest3);
    assertSucceeded('tsc (vitest 3 app)', await run(node, ['node_modules/typescript/bin/tsc', '-p', '.'], app, 3 * MINUTE));
    const result = await run(node, ['node_modules/vitest/vitest.mjs', 'run', '--reporter=json', '--outputFile=results.json'], app, 5 * MINUTE);
    const report = JSON.parse(readFileSync(join(app, 'results.json'), 'utf8')) as { numTotalTests: number; numPassedTests: number };
    expect({ total: report.numTotalTests, passed: report.numPassedTests }, result.stderr).toEqual({ total: CONFORMANCE_TESTS, passed: CORE_CONFORMANCE_TESTS });
    expect(result.code).toBe(0);
  }, 15 * MINUTE);
});
