import { MySqlStore } from '@governance/store-mysql';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runManagerScenario } from '../../sql-shared/test/manager-scenario';
import { createTestDatabase, mysqlSkip, type TestDatabase } from './mysql-test-env';

const skip = await mysqlSkip();

describe.skipIf(skip !== undefined)('Manager on MySqlStore', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('registration is committed, the subscriber is notified, and a restarted manager finds every pod', async () => {
    await runManagerScenario(() => new MySqlStore({ connectionString: db.url }), db.inspect());
  });
});
