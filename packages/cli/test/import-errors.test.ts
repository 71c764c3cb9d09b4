import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toWireService } from '@governance/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scratchPostgres, type ScratchDatabase } from '../../../test/support/databases';
import { postgresSkip } from '../../store-postgres/test/postgres-test-env';
import { CLI_TESTS, ensureBuiltCli, runCli, show } from './support/cli-process';
import { makePods } from './support/pods';
import { scratchUrl } from './support/scratch-urls';

const skip = await postgresSkip();

const [a, b, c] = makePods(3).map((pod) => toWireService(pod));
const header = (count: number, version = 1) => JSON.stringify({ format: 'governance-registry', version, exported_at: '2026-01-02T03:04:05.678Z', source: 'test', count });

/** A file with two good pods and five bad lines (line numbers in the comments). */
const MALFORMED = [
  header(7), // 1
  JSON.stringify(a), // 2 good
  '{"service_name": "eir", "pod_name": ', // 3 not JSON
  JSON.stringify({ ...b, providers: [{ protocol: 'http', ip: '10.0.0.1', port: 70000 }] }), // 4
  JSON.stringify({ ...b, service_name: undefined, health_check_url: 'ftp://x' }), // 5
  JSON.stringify({ ...b, status: 'sleepy' }), // 6
  JSON.stringify({ ...b, registered_at: '2026-02-30T00:00:00Z' }), // 7
  '', // 8 blank: ignored
  JSON.stringify(c), // 9 good
].join('\n');

describe.skipIf(skip !== undefined)('governance import with bad lines (the real binary)', CLI_TESTS, () => {
  let dir: string;
  let target: ScratchDatabase;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'governance-cli-test-'));
    file = join(dir, 'malformed.ndjson');
    writeFileSync(file, `${MALFORMED}\n`);
    [target] = await Promise.all([scratchPostgres(), ensureBuiltCli()]);
  }, 240_000);

  beforeEach(async () => {
    // Create the tables (first use migrates) and empty them.
    const store = target.openStore(target.host, target.port);
    await store.clear();
    await store.close();
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await target?.drop();
  });

  it('reports every bad line with its number and field errors, and writes nothing', async () => {
    const run = await runCli(['import', '--to', scratchUrl(target), '--in', file]);
    expect(run.code, show(run)).toBe(1);
    expect(run.stderr).toContain(`${file}:3: not valid JSON`);
    expect(run.stderr).toContain(`${file}:4: providers[0].port: must be an integer 1..65535`);
    expect(run.stderr).toMatch(new RegExp(`${file}:5: service_name: is required; health_check_url: must use .*tcp`));
    expect(run.stderr).toContain(`${file}:6: status: must be one of healthy, unhealthy, unknown`);
    expect(run.stderr).toContain(`${file}:7: registered_at: must be an RFC 3339 date-time`);
    expect(run.stderr).not.toMatch(/:(1|2|8|9): /);
    expect(run.stderr).toContain('5 bad lines');
    expect(run.stderr).toContain('nothing was written');
    expect((await target.rows()).size).toBe(0);
  });

  it('writes nothing from stdin either (validated while spooled, before any write)', async () => {
    const run = await runCli(['import', '--to', scratchUrl(target)], { stdin: MALFORMED });
    expect(run.code, show(run)).toBe(1);
    expect(run.stderr).toContain('stdin:4: providers[0].port');
    expect((await target.rows()).size).toBe(0);
  });

  it('with --continue-on-error writes only the good lines and exits 1', async () => {
    const run = await runCli(['import', '--to', scratchUrl(target), '--in', file, '--continue-on-error']);
    expect(run.code, show(run)).toBe(1);
    expect(run.stderr).toContain(`${file}:4: providers[0].port`);
    expect(run.stdout).toContain('import: wrote 2 pods');
    expect(run.stderr).toContain('skipped 5 bad lines');
    expect([...(await target.rows()).keys()].sort()).toEqual([`${a!.service_name}:${a!.pod_name}`, `${c!.service_name}:${c!.pod_name}`].sort());
  });

  it('refuses a truncated file (fewer pod lines than its header announces) and a newer format version', async () => {
    const truncated = join(dir, 'truncated.ndjson');
    writeFileSync(truncated, [header(3), JSON.stringify(a), JSON.stringify(b)].join('\n'));
    const run = await runCli(['import', '--to', scratchUrl(target), '--in', truncated]);
    expect(run.code, show(run)).toBe(1);
    expect(run.stderr).toContain('the header announces 3 pods but the file holds 2 pod lines: is it truncated?');

    const newer = join(dir, 'newer.ndjson');
    writeFileSync(newer, [header(1, 2), JSON.stringify(a)].join('\n'));
    const refused = await runCli(['import', '--to', scratchUrl(target), '--in', newer]);
    expect(refused.code, show(refused)).toBe(1);
    expect(refused.stderr).toContain(`${newer}:1: version: this CLI reads format version 1, the file has 2`);
    expect((await target.rows()).size).toBe(0);
  });

  it('accepts bare /register bodies (no status or times): status unknown', async () => {
    const bare = join(dir, 'bare.ndjson');
    const { status: _s, last_health_check: _l, registered_at: _r, updated_at: _u, ...registration } = a!;
    writeFileSync(bare, `${JSON.stringify(registration)}\n`);
    const run = await runCli(['import', '--to', scratchUrl(target), '--in', bare]);
    expect(run.code, show(run)).toBe(0);
    const listed = await runCli(['services', '--manager', scratchUrl(target), '--json']);
    expect(JSON.parse(listed.stdout).services[0]).toMatchObject({ ...registration, status: 'unknown' });
  });
});
