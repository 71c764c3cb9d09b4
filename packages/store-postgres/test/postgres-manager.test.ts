import { PostgresStore } from '@governance/store-postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, it } from 'vitest';
import { managerClusterScenarios } from '../../sql-shared/test/manager-cluster-scenario';
import { ttlClusterScenarios } from '../../sql-shared/test/ttl-cluster-scenario';
import { runManagerScenario } from '../../sql-shared/test/manager-scenario';
import { createTestSchema, POSTGRES_URL, postgresSkip, type TestSchema } from './postgres-test-env';

const skip = await postgresSkip();

describe.skipIf(skip !== undefined)('Manager on PostgresStore', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema();
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('registration is committed, the subscriber is notified, and a restarted manager finds every pod', async () => {
    await runManagerScenario(() => new PostgresStore({ connectionString: POSTGRES_URL, schema: schema.name }), schema.inspect());
  });
});

describe.skipIf(skip !== undefined)('Managers in cluster mode on one PostgreSQL schema', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await createTestSchema();
  });
  afterEach(async () => {
    await schema?.drop();
  });

  managerClusterScenarios(() => new PostgresStore({ connectionString: POSTGRES_URL, schema: schema.name }), { notifies: true });
  ttlClusterScenarios(() => new PostgresStore({ connectionString: POSTGRES_URL, schema: schema.name }));
});
