import { runStoreConformance } from '@governance/core/testing';
import { MySqlStore } from '@governance/store-mysql';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { lazyCoordination } from '../../sql-shared/test/lazy-inspector';
import { createTestDatabase, mysqlSkip, type TestDatabase } from './mysql-test-env';

const skip = await mysqlSkip();
let database: TestDatabase | undefined;

beforeAll(async () => {
  if (skip === undefined) database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const open = () => new MySqlStore({ connectionString: database!.url, maxConnections: 10 });

// Every logged write holds the change-log counter through its commit, so the 500 concurrent
// single-pod writes of the concurrency checks commit one after another: allow for a slow disk.
runStoreConformance({ describe, it }, 'MySqlStore', {
  skip,
  timeoutMs: 30_000,
  async create() {
    const store = open();
    await store.clear();
    return store;
  },
  inspect: {
    serviceKeys: () => database!.inspect().serviceKeys(),
    subscriptionPairs: () => database!.inspect().subscriptionPairs(),
  },
  coordination: lazyCoordination(() => database!.coordination(open), [
    'logEntries',
    'databaseNow',
    'lockPod',
    'lockGroup',
    'lockWaiters',
    'openPeer',
  ]),
});
