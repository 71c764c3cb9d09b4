import { MySqlStore } from '@governance/store-mysql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { managerClusterScenarios } from '../../sql-shared/test/manager-cluster-scenario';
import { ttlClusterScenarios } from '../../sql-shared/test/ttl-cluster-scenario';
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

describe.skipIf(skip !== undefined)('Managers in cluster mode on one MariaDB database', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db?.drop();
  });

  managerClusterScenarios(() => new MySqlStore({ connectionString: db.url }), { notifies: false });
  ttlClusterScenarios(() => new MySqlStore({ connectionString: db.url }));
});
