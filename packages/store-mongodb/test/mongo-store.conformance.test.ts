import { checkTestServer, runStoreConformance, type StoreInspector } from '@governance/core/testing';
import { MongoStore, type MongoTransactionMode } from '@governance/store-mongodb';
import { databaseInUri } from '../src/mongo-store-config';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';

// The shared suite needs a real MongoDB server: it runs only when TEST_MONGODB_URL names one,
// e.g. TEST_MONGODB_URL=mongodb://127.0.0.1:27017/governance_test (a replica set, even a
// one-node one, also exercises the transaction path). Without it the suite is skipped with
// one line, also in CI; with it set but unreachable, CI=true fails the run.
const url = process.env.TEST_MONGODB_URL;
const database = url === undefined || databaseInUri(url) === '' ? 'governance_test' : databaseInUri(url);
const prefix = `conformance_${process.pid}_`;

let skip: string | undefined;
let raw: MongoClient | undefined;
if (url === undefined || url === '') {
  skip = 'MongoStore conformance suite SKIPPED: set TEST_MONGODB_URL=mongodb://… to run it against a server';
  console.warn(`\n!!! ${skip}\n`);
} else {
  raw = new MongoClient(url, { serverSelectionTimeoutMS: 3000 });
  skip = await checkTestServer('MongoStore conformance', 'Start MongoDB or fix TEST_MONGODB_URL.', async () => {
    await raw!.db(database).command({ ping: 1 });
  });
}

afterAll(async () => {
  if (raw === undefined) return;
  if (skip === undefined) {
    for (const mode of ['auto', 'never']) {
      for (const name of ['services', 'subscriptions']) await raw.db(database).collection(`${prefix}${mode}_${name}`).drop().catch(() => undefined);
    }
  }
  await raw.close();
});

function inspector(mode: MongoTransactionMode): StoreInspector {
  const db = () => raw!.db(database);
  return {
    async serviceKeys() {
      const docs = await db().collection<{ _id: string }>(`${prefix}${mode}_services`).find({}, { projection: { _id: 1 } }).toArray();
      return docs.map((d) => d._id);
    },
    async subscriptionPairs() {
      const docs = await db().collection(`${prefix}${mode}_subscriptions`).find({}).toArray();
      return docs.map((d) => [d.subscriber_key as string, d.service_group as string]);
    },
  };
}

for (const mode of ['auto', 'never'] as const) {
  runStoreConformance({ describe, it }, `MongoStore (transactions: ${mode})`, {
    skip,
    timeoutMs: 20_000,
    inspect: skip === undefined ? inspector(mode) : undefined,
    async create() {
      const store = new MongoStore({
        uri: url!,
        database,
        collectionPrefix: `${prefix}${mode}_`,
        transactions: mode,
        minPoolSize: 0,
        maxPoolSize: 20,
        serverSelectionTimeoutMs: 3000,
      });
      await store.clear();
      return store;
    },
  });
}

describe.skipIf(skip !== undefined)('MongoStore on a real server', () => {
  it('creates the four indexes, and creating them again changes nothing', async () => {
    const store = new MongoStore({ uri: url!, database, collectionPrefix: `${prefix}auto_`, minPoolSize: 0 });
    try {
      await store.stats();
      const again = new MongoStore({ uri: url!, database, collectionPrefix: `${prefix}auto_`, minPoolSize: 0 });
      await again.stats();
      await again.close();
      const services = await raw!.db(database).collection(`${prefix}auto_services`).indexes();
      const subscriptions = await raw!.db(database).collection(`${prefix}auto_subscriptions`).indexes();
      expect(services.map((i) => i.name).sort()).toEqual(['_id_', 'service_name_1', 'status_1']);
      expect(subscriptions.map((i) => i.name).sort()).toEqual(['_id_', 'service_group_1', 'subscriber_key_1_service_group_1']);
      expect(subscriptions.find((i) => i.name === 'subscriber_key_1_service_group_1')?.unique).toBe(true);
    } finally {
      await store.close();
    }
  });
});
