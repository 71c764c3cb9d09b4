/**
 * A process must not hang on a SQL store it never closed: after a failed `manager.start()`
 * (server unreachable, or a migration that fails on an open connection) and after using the
 * store without closing it, the child process exits by itself once its work is done.
 */
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MYSQL_URL } from '../../packages/store-mysql/test/mysql-test-env';
import { POSTGRES_URL } from '../../packages/store-postgres/test/postgres-test-env';
import { SCRATCH_SERVERS, useScratchDatabase, type ScratchDatabase } from '../support/databases';
import { runFixture } from '../support/fixture-process';
import { closedPort } from '../support/ports';

const FIXTURE = fileURLToPath(new URL('./fixtures/unclosed-store-process.ts', import.meta.url));
/** Far longer than any of these processes needs; reaching it means the process hangs. */
const HANG_AFTER_MS = 20_000;

/** Runs the fixture and resolves its exit code and output, or `hung` when it had to be killed. */
function runUnclosed(kind: string, scenario: 'start' | 'use', options: Record<string, unknown>): Promise<{ code: number | 'hung'; output: string }> {
  return runFixture(FIXTURE, {
    env: { GOV_STORE: kind, GOV_STORE_OPTIONS: JSON.stringify(options), GOV_SCENARIO: scenario },
    hangAfterMs: HANG_AFTER_MS,
  });
}

/** Creates `<prefix>services` with a shape the store's migration cannot index. */
async function createIncompatibleTable(db: ScratchDatabase, prefix: string): Promise<void> {
  if (db.kind === 'postgres') {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`create table ${db.storeOptions.schema as string}.${prefix}services (x int)`);
    await client.end();
  } else {
    const connection = await createConnection({ uri: MYSQL_URL, database: db.storeOptions.database as string });
    await connection.query(`create table ${prefix}services (x int)`);
    await connection.end();
  }
}

for (const server of SCRATCH_SERVERS) {
  const skip = await server.skip();
  describe.skipIf(skip !== undefined)(`a process with an unclosed ${server.title} store exits by itself`, () => {
    const db = useScratchDatabase(server);

    it('after manager.start() failed because the server is unreachable', async () => {
      const { storeOptions, kind } = db();
      const run = await runUnclosed(kind, 'start', { ...storeOptions, host: '127.0.0.1', port: await closedPort(), connectTimeoutMs: 2000 });
      expect(run.output).toMatch(/^start failed: \[store-(postgres|mysql)\] .*cannot connect/m);
      expect(run.code, run.output).toBe(0);
    }, 30_000);

    it('after manager.start() failed in a migration, with connections open', async () => {
      await createIncompatibleTable(db(), 'incompatible_');
      const { storeOptions, kind, host, port } = db();
      const run = await runUnclosed(kind, 'start', { ...storeOptions, host, port, tablePrefix: 'incompatible_' });
      expect(run.output).toMatch(/^start failed: \[store-(postgres|mysql)\] migrate failed/m);
      expect(run.code, run.output).toBe(0);
    }, 30_000);

    it('after saving and reading through the store without closing it', async () => {
      const { storeOptions, kind, host, port } = db();
      const run = await runUnclosed(kind, 'use', { ...storeOptions, host, port });
      expect(run.output).toContain('used 1');
      expect(run.code, run.output).toBe(0);
    }, 30_000);
  });
}
