import { runStoreConformance } from '@governance/core/testing';
import { PostgresStore } from '@governance/store-postgres';
import { afterAll, beforeAll } from 'vitest';
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

runStoreConformance('PostgresStore', {
  skip,
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
