import { runStoreConformance } from '@governance/core/testing';
import { PostgresStore } from '@governance/store-postgres';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createTestSchema, POSTGRES_URL, postgresSkip, type TestSchema } from './postgres-test-env';

const skip = await postgresSkip();
let schema: TestSchema | undefined;

beforeAll(async () => {
  if (skip === undefined) schema = await createTestSchema();
});
afterAll(async () => {
  await schema?.drop();
});

runStoreConformance({ describe, it }, 'PostgresStore', {
  skip,
  async create() {
    const store = new PostgresStore({ connectionString: POSTGRES_URL, schema: schema!.name, maxConnections: 10 });
    await store.clear();
    return store;
  },
  inspect: {
    serviceKeys: () => schema!.inspect().serviceKeys(),
    subscriptionPairs: () => schema!.inspect().subscriptionPairs(),
  },
});
