import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistryStore } from '@governance/core';
import { scratchMysql, scratchPostgres, type ScratchDatabase } from '../../../test/support/databases';
import { mysqlSkip } from '../../store-mysql/test/mysql-test-env';
import { postgresSkip } from '../../store-postgres/test/postgres-test-env';
import { CLI_TESTS, ensureBuiltCli, runCli, show } from './support/cli-process';
import { makePods, seed, seedDatabase } from './support/pods';
import { scratchUrl } from './support/scratch-urls';

const skip = (await postgresSkip()) ?? (await mysqlSkip());

describe.skipIf(skip !== undefined)('governance migrate --dry-run and --on-conflict (the real binary)', CLI_TESTS, () => {
  let source: ScratchDatabase;
  let target: ScratchDatabase;
  let targetStore: RegistryStore;
  const pods = makePods(100);
  // The target already holds pod 0 with another notification URL, pod 1 identical, and a pod of its own.
  const changed = { ...pods[0]!, notificationUrl: 'http://10.9.9.9:8080/notify' };
  const own = { ...makePods(1, 'own')[0]! };

  beforeAll(async () => {
    [source, target] = await Promise.all([scratchPostgres(), scratchMysql(), ensureBuiltCli()]);
    await seedDatabase(source, pods);
    targetStore = target.openStore(target.host, target.port);
  }, 240_000);

  afterAll(async () => {
    await targetStore?.close();
    await Promise.all([source?.drop(), target?.drop()]);
  });

  async function resetTarget(): Promise<void> {
    await targetStore.clear();
    await seed(targetStore, [changed, pods[1]!, own]);
  }

  const migrate = (...extra: string[]) => runCli(['migrate', '--from', scratchUrl(source), '--to', scratchUrl(target), ...extra]);

  it('--dry-run counts and names the conflicts, writes nothing, and exits 1 when the real run would fail', async () => {
    await resetTarget();
    const run = await migrate('--dry-run');
    expect(run.code, show(run)).toBe(1);
    expect(run.stdout).toContain('plan: 98 to write, 1 already there, 1 conflicts (--on-conflict fail), 1 only in the target');
    expect(run.stdout).toContain(`conflicts (same pod, different content): ${pods[0]!.serviceName}:${pods[0]!.podName}`);
    expect(run.stdout).toContain('dry run: nothing was written');
    expect((await target.rows()).size).toBe(3);
    const skipping = await migrate('--dry-run', '--on-conflict', 'skip');
    expect(skipping.code, show(skipping)).toBe(0);
  });

  it('--on-conflict fail (the default) writes nothing and names the conflicting pod', async () => {
    await resetTarget();
    const run = await migrate();
    expect(run.code, show(run)).toBe(1);
    expect(run.stderr).toContain(`1 pods already exist in ${scratchUrl(target)} with different content (${pods[0]!.serviceName}:${pods[0]!.podName}); nothing was written`);
    expect((await target.rows()).size).toBe(3);
  });

  it('--on-conflict skip keeps the target version; verify leaves it out and passes', async () => {
    await resetTarget();
    const run = await migrate('--on-conflict', 'skip');
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toContain('1 conflicting pods kept the target\'s version');
    expect(run.stdout).toContain('1 pods exist only in the target');
    expect(run.stdout).toContain('verify: OK');
    expect((await targetStore.getService(`${changed.serviceName}:${changed.podName}`))?.notificationUrl).toBe(changed.notificationUrl);
    expect((await target.rows()).size).toBe(101);
  });

  it('--on-conflict overwrite makes the source win; --no-verify skips the comparison', async () => {
    await resetTarget();
    const run = await migrate('--on-conflict', 'overwrite', '--no-verify');
    expect(run.code, show(run)).toBe(0);
    expect(run.stdout).toContain('migrate: wrote 99 pods');
    expect(run.stdout).not.toContain('verify');
    expect((await targetStore.getService(`${changed.serviceName}:${changed.podName}`))?.notificationUrl).toBe(pods[0]!.notificationUrl);
    expect((await target.rows()).size).toBe(101);
  });
});
