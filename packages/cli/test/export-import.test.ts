import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePodRecord } from '../src/records';
import { canonicalPod } from '../src/checksum';
import { scratchMysql, scratchPostgres, type ScratchDatabase } from '../../../test/support/databases';
import { mysqlSkip } from '../../store-mysql/test/mysql-test-env';
import { postgresSkip } from '../../store-postgres/test/postgres-test-env';
import { CLI_TESTS, ensureBuiltCli, runCli, show } from './support/cli-process';
import { makePods, seedDatabase } from './support/pods';
import { scratchUrl } from './support/scratch-urls';

const skip = (await postgresSkip()) ?? (await mysqlSkip());

/** An export file's pods, normalised (sorted keys, sorted subscriptions, ms times) and sorted; the header's count. */
function normalise(text: string): { count: number; pods: string } {
  const [header, ...lines] = text.trimEnd().split('\n');
  const now = new Date(0);
  const pods = lines.map((line) => canonicalPod(parsePodRecord(JSON.parse(line), now))).sort();
  return { count: JSON.parse(header!).count as number, pods: `${pods.join('\n')}\n` };
}

describe.skipIf(skip !== undefined)('governance export / import (the real binary)', CLI_TESTS, () => {
  let dir: string;
  let source: ScratchDatabase;
  let maria: ScratchDatabase;
  const pods = makePods(2_000);
  // Names at the edges of the rules: non-ASCII, spaces, 128 characters.
  pods.push({ ...pods[0]!, serviceName: 'ünïcødé сервис 服务', podName: 'p'.repeat(128), subscriptions: ['ünïcødé сервис 服务', 'svc-1'] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'governance-cli-test-'));
    [source, maria] = await Promise.all([scratchPostgres(), scratchMysql(), ensureBuiltCli()]);
    await seedDatabase(source, pods);
  }, 240_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all([source?.drop(), maria?.drop()]);
  });

  it('round-trips PostgreSQL → file → MariaDB → file byte-identically after normalisation', async () => {
    const first = join(dir, 'first.ndjson');
    const exported = await runCli(['export', '--from', scratchUrl(source), '--out', first]);
    expect(exported.code, show(exported)).toBe(0);
    const text = readFileSync(first, 'utf8');
    const header = JSON.parse(text.split('\n')[0]!);
    expect(header).toMatchObject({ format: 'governance-registry', version: 1, count: pods.length });
    expect(header.source).toBe(scratchUrl(source));

    const imported = await runCli(['import', '--to', scratchUrl(maria), '--in', first]);
    expect(imported.code, show(imported)).toBe(0);
    expect(imported.stdout).toContain(`import: wrote 2,001 pods from ${first}`);

    const second = join(dir, 'second.ndjson');
    const again = await runCli(['export', '--from', scratchUrl(maria), '--out', second]);
    expect(again.code, show(again)).toBe(0);
    expect(normalise(readFileSync(second, 'utf8'))).toEqual(normalise(text));
    // Export writes pods in key order with a fixed field order, so even the raw pod lines agree.
    expect(readFileSync(second, 'utf8').split('\n').slice(1)).toEqual(text.split('\n').slice(1));
    expect(await maria.rows()).toEqual(await source.rows());
  });

  it('imports from stdin, and importing the same file again changes nothing (idempotent saves)', async () => {
    const target = await scratchPostgres();
    try {
      const text = readFileSync(join(dir, 'first.ndjson'), 'utf8');
      for (let run = 0; run < 2; run++) {
        const imported = await runCli(['import', '--to', scratchUrl(target)], { stdin: text });
        expect(imported.code, show(imported)).toBe(0);
        expect(imported.stdout).toContain('import: wrote 2,001 pods from stdin');
      }
      expect(await target.rows()).toEqual(await source.rows());
      const exported = await runCli(['export', '--from', scratchUrl(target)]);
      expect(exported.code, show(exported)).toBe(0);
      expect(normalise(exported.stdout)).toEqual(normalise(text));
    } finally {
      await target.drop();
    }
  });
});
