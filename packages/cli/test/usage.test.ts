import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_TESTS, ensureBuiltCli, runCli, show } from './support/cli-process';

describe('governance command line: help, exit codes, secrets (the real binary)', CLI_TESTS, () => {
  beforeAll(ensureBuiltCli, 240_000);

  it('--help lists the commands, the URLs and the exit codes (exit 0); each command has examples', async () => {
    const help = await runCli(['--help']);
    expect(help.code, show(help)).toBe(0);
    for (const command of ['migrate', 'export', 'import', 'services', 'watch']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 failure');
    expect(help.stdout).toContain('postgres://user:password@host:5432/db');
    for (const command of ['migrate', 'export', 'import', 'services', 'watch']) {
      const own = await runCli([command, '--help']);
      expect(own.code, show(own)).toBe(0);
      expect(own.stdout).toContain(`Examples:\n  governance ${command} `);
    }
    const migrate = await runCli(['migrate', '--help']);
    expect(migrate.stdout).toContain('the manager sets their status and times');
  });

  it('exits 2 on usage errors: no command, unknown command or option, missing or invalid values, unsupported URLs', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Usage: governance/],
      [['bogus'], /unknown command 'bogus'/],
      [['migrate', '--to', 'postgres://x/y'], /required option '--from <url>' not specified/],
      [['migrate', '--from', 'a', '--to', 'b', '--on-conflict', 'maybe'], /Allowed choices are skip, overwrite, fail/],
      [['import', '--to', 'postgres://x/y', '--batch-size', '0'], /must be a whole number 1\.\.100000/],
      [['export', '--from', 'memory:'], /a memory store lives inside its manager's process: give the manager's URL/],
      [['export', '--from', 'redis://cache:6379'], /--from must be postgres:\/\/, mysql:\/\/ \(MariaDB\), mongodb:\/\/ or http\(s\):\/\/host:port\/prefix/],
      [['migrate', '--from', 'postgres://h/db', '--to', 'postgres://h/db'], /--from and --to name the same place/],
      [['export', '--from', 'mysql://h/db?timezone=local'], /timezone/],
      [['services', '--manager', 'http://user:pw@127.0.0.1:9/gov'], /put the manager's token in --token or GOVERNANCE_TOKEN, not in the URL/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.code, `${args.join(' ')}\n${show(run)}`).toBe(2);
      expect(run.stdout + run.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('never prints a password or a token in its output or errors (exit 1 when a store is unreachable)', async () => {
    const secrets = ['S3cret-Pg-pw', 'An0ther@pw', 'M0ngo-pw', 'cli-token-abcdefghijklmnop'];
    const runs = await Promise.all([
      runCli(['migrate', '--from', 'postgres://postgres:S3cret-Pg-pw@127.0.0.1:9/x?connect_timeout=2', '--to', 'mysql://root:An0ther%40pw@127.0.0.1:9/y']),
      runCli(['export', '--from', 'mongodb://app:M0ngo-pw@127.0.0.1:9/gov?serverSelectionTimeoutMS=300']),
      runCli(['import', '--to', 'mysql://root:An0ther%40pw@127.0.0.1:9/y', '--in', '/nonexistent/An0ther@pw']),
      runCli(['services', '--manager', 'http://127.0.0.1:9/gov', '--token', 'cli-token-abcdefghijklmnop']),
    ]);
    for (const run of runs) {
      expect(run.code, show(run)).toBe(1);
      for (const secret of secrets) {
        expect(run.stdout + run.stderr).not.toContain(secret);
        expect(run.stdout + run.stderr).not.toContain(encodeURIComponent(secret));
      }
    }
    expect(runs[0]!.stderr).toContain('postgres://postgres:***@127.0.0.1:9/x');
    expect(runs[0]!.stderr).toMatch(/\[store-postgres\] .*cannot connect to 127\.0\.0\.1:9/);
    expect(runs[1]!.stderr).toMatch(/\[store-mongodb\] .*cannot reach MongoDB at 127\.0\.0\.1:9/);
    expect(runs[3]!.stderr).toContain('check that the manager runs');
  });
});
