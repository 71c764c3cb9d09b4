/**
 * The conformance suite does not depend on vitest: the same suite runs under `node:test`, with
 * node's own `describe` / `it` handed in (the smoke test runs it under vitest 3 from the packed
 * tarballs; the repository's own store tests run it under vitest 4).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { batchChecks } from '@governance/core/testing';
import { CONFORMANCE_TESTS as CHECKS, COORDINATION_CONFORMANCE_TESTS as OPTIONAL } from '../../../test/support/conformance-checks';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/memory-conformance.node-test.ts', import.meta.url));

interface TapRun {
  code: number | null;
  counts: Record<string, number>;
  failed: string[];
  output: string;
}

/** Runs the fixture under `node --test` with the TAP reporter and reads its summary. */
function runNodeTest(variant: 'memory' | 'broken'): Promise<TapRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test-reporter=tap', '--test', FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, GOV_VARIANT: variant },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const counts: Record<string, number> = {};
      for (const [, name, n] of output.matchAll(/^# (tests|pass|fail|skipped|cancelled) (\d+)$/gm)) counts[name!] = Number(n);
      const failed = [...output.matchAll(/^ {8}not ok \d+ - (.+)$/gm)].map((m) => m[1]!);
      resolve({ code, counts, failed, output });
    });
  });
}

describe('the conformance suite under node:test', () => {
  it('runs every check against MemoryStore: all required ones pass, the coordination ones are skipped', async () => {
    const run = await runNodeTest('memory');
    expect(run.counts, run.output).toEqual({ tests: CHECKS, pass: CHECKS - OPTIONAL, fail: 0, skipped: OPTIONAL, cancelled: 0 });
    expect(run.code).toBe(0);
  });

  it('reports failing checks as failures and unsupported ones as skipped', async () => {
    const run = await runNodeTest('broken');
    expect(run.code, run.output).toBe(1);
    expect(run.failed).toContain('two reads share no mutable object, and never the saved one');
    expect(run.failed).toContain('mutating a getService result does not change the store');
    expect(run.counts.skipped).toBe(Object.keys(batchChecks).length + OPTIONAL);
    expect(run.counts.pass).toBe(CHECKS - run.counts.fail! - run.counts.skipped!);
  });
});
