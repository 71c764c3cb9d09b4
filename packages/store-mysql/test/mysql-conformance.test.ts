import { runStoreConformance } from '@governance/core/testing';
import { MySqlStore } from '@governance/store-mysql';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestDatabase, mysqlSkip, type TestDatabase } from './mysql-test-env';

const skip = await mysqlSkip();
let database: TestDatabase | undefined;

beforeAll(async () => {
  if (skip === undefined) database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

runStoreConformance({ describe, it }, 'MySqlStore', {
  skip,
  async create() {
    const store = new MySqlStore({ connectionString: database!.url, maxConnections: 10 });
    await store.clear();
    return store;
  },
  inspect: {
    serviceKeys: () => database!.inspect().serviceKeys(),
    subscriptionPairs: () => database!.inspect().subscriptionPairs(),
  },
});
