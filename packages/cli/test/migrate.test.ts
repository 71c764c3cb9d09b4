import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchMysql, scratchPostgres, type ScratchDatabase } from '../../../test/support/databases';
import { mysqlSkip } from '../../store-mysql/test/mysql-test-env';
import { postgresSkip } from '../../store-postgres/test/postgres-test-env';
import { CLI_TESTS, ensureBuiltCli, runCli, show, spawnCli } from './support/cli-process';
import { makePods, seedDatabase, subscriptionPairs } from './support/pods';
import { scratchUrl } from './support/scratch-urls';

const skip = (await postgresSkip()) ?? (await mysqlSkip());
const PODS = 20_000;

describe.skipIf(skip !== undefined)('governance migrate between PostgreSQL and MariaDB (the real binary)', CLI_TESTS, () => {
  let pgSource: ScratchDatabase;
  let maria: ScratchDatabase;
  let pgBack: ScratchDatabase;
  const pods = makePods(PODS);

  beforeAll(async () => {
    [pgSource, maria, pgBack] = await Promise.all([scratchPostgres(), scratchMysql(), scratchPostgres(), ensureBuiltCli()]);
    await seedDatabase(pgSource, pods);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([pgSource?.drop(), maria?.drop(), pgBack?.drop()]);
  });

  it(`copies ${PODS.toLocaleString('en-US')} pods PostgreSQL → MariaDB and back, and verify passes both ways`, async () => {
    const there = await runCli(['migrate', '--from', scratchUrl(pgSource), '--to', scratchUrl(maria)]);
    expect(there.code, show(there)).toBe(0);
    expect(there.stdout).toContain(`plan: 20,000 to write, 0 already there, 0 conflicts`);
    expect(there.stdout).toContain('verify: OK');
    const checksum = /source 20,000 pods, [\d,]+ subscriptions, (sha256:[0-9a-f]{64})/.exec(there.stdout)?.[1];
    expect(there.stdout).toContain(`target 20,000 pods, ${subscriptionPairs(pods).toLocaleString('en-US')} subscriptions, ${checksum}`);

    const back = await runCli(['migrate', '--from', scratchUrl(maria), '--to', scratchUrl(pgBack)]);
    expect(back.code, show(back)).toBe(0);
    expect(back.stdout).toContain('verify: OK');
    expect(back.stdout).toContain(`target 20,000 pods, ${subscriptionPairs(pods).toLocaleString('en-US')} subscriptions, ${checksum}`);

    // Read through the raw drivers, not the stores: the same keys with the same subscriptions everywhere.
    const [a, b, c] = await Promise.all([pgSource.rows(), maria.rows(), pgBack.rows()]);
    expect(b.size).toBe(PODS);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('resumes after SIGINT halfway: the re-run writes only the rest, with no duplicate, and verify passes', async () => {
    const target = await scratchMysql();
    try {
      const first = spawnCli(['migrate', '--from', scratchUrl(pgSource), '--to', scratchUrl(target), '--progress', 'plain', '--batch-size', '500']);
      await first.waitFor(/migrate: [\d,]+\/20,000 pods \((?:[4-9]\d)%\)/);
      first.child.kill('SIGINT');
      const stopped = await first.done;
      expect(stopped.code, show(stopped)).toBe(130);
      expect(stopped.stderr).toMatch(/interrupted: [\d,]+ pods were written .* run the same command again to finish/);
      const written = (await target.rows()).size;
      expect(written).toBeGreaterThan(0);
      expect(written).toBeLessThan(PODS);
      expect(written % 500).toBe(0);

      const again = await runCli(['migrate', '--from', scratchUrl(pgSource), '--to', scratchUrl(target)]);
      expect(again.code, show(again)).toBe(0);
      expect(again.stdout).toContain(`plan: ${(PODS - written).toLocaleString('en-US')} to write, ${written.toLocaleString('en-US')} already there, 0 conflicts`);
      expect(again.stdout).toContain('verify: OK');
      const rows = await target.rows();
      expect(rows).toEqual(await pgSource.rows());
      const pairs = [...rows.values()].reduce((n, groups) => n + groups.length, 0);
      expect(pairs).toBe(subscriptionPairs(pods));
    } finally {
      await target.drop();
    }
  });
});
