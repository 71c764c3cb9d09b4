import { runStoreConformance } from '@governance/core/testing';
import { PostgresStore } from '@governance/store-postgres';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { lazyCoordination } from '../../sql-shared/test/lazy-inspector';
import { createTestSchema, POSTGRES_URL, postgresSkip, type TestSchema } from './postgres-test-env';

const skip = await postgresSkip();
let schema: TestSchema | undefined;

beforeAll(async () => {
  if (skip === undefined) schema = await createTestSchema();
});
afterAll(async () => {
  await schema?.drop();
});

const open = () => new PostgresStore({ connectionString: POSTGRES_URL, schema: schema!.name, maxConnections: 10 });

// Every logged write holds the change-log counter through its commit, so the 500 concurrent
// single-pod writes of the concurrency checks commit one after another: allow for a slow disk.
runStoreConformance({ describe, it }, 'PostgresStore', {
  skip,
  timeoutMs: 30_000,
  async create() {
    const store = open();
    await store.clear();
    return store;
  },
  inspect: {
    serviceKeys: () => schema!.inspect().serviceKeys(),
    subscriptionPairs: () => schema!.inspect().subscriptionPairs(),
  },
  coordination: lazyCoordination(() => schema!.coordination(open), [
    'logEntries',
    'databaseNow',
    'lockPod',
    'lockGroup',
    'lockWaiters',
    'openPeer', 'killListeners',
  ]),
});
