import { Manager, StoreError, ValidationError } from '@governance/core';
import { everyStoreCall, makeService } from '@governance/core/testing';
import { MongoStore } from '@governance/store-mongodb';
import { MongoClient, MongoNotConnectedError, MongoServerSelectionError } from 'mongodb';
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// The real driver against a real TCP port on 127.0.0.1 that nobody listens on: the "server down" case.
let closedPort: number;
beforeAll(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const opened: Array<MongoStore | MongoClient> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

function downStore(extra: { serverSelectionTimeoutMs?: number } = {}): MongoStore {
  const store = new MongoStore({
    uri: `mongodb://127.0.0.1:${closedPort}/governance`,
    serverSelectionTimeoutMs: extra.serverSelectionTimeoutMs ?? 300,
    connectTimeoutMs: 300,
    minPoolSize: 0,
  });
  opened.push(store);
  return store;
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject');
}

describe('MongoStore with the server down', () => {
  it('ping rejects with a StoreError carrying the driver error, naming the time it waited', async () => {
    const error = await failure(downStore().ping());
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).operation).toBe('ping');
    expect((error as StoreError).transient).toBe(false);
    expect((error as StoreError).cause).toBeInstanceOf(MongoServerSelectionError);
    expect((error as Error).message).toMatch(
      new RegExp(`^\\[store-mongodb\\] ping failed: cannot reach MongoDB at 127\\.0\\.0\\.1:${closedPort} within 0\\.3 s \\(serverSelectionTimeoutMs\\): `),
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('manager.start() makes one attempt (joining as the one manager of the registry), fails with that error and leaves the store usable', async () => {
    let joins = 0;
    let reads = 0;
    const store = downStore();
    const membership = store.membership!;
    const join = membership.join.bind(membership);
    membership.join = (...args) => {
      joins++;
      return join(...args);
    };
    const getAllServices = store.getAllServices.bind(store);
    store.getAllServices = (options) => {
      reads++;
      return getAllServices(options);
    };
    const manager = new Manager({}, store);
    const error = await failure(manager.start());
    expect([joins, reads]).toEqual([1, 0]);
    expect((error as Error).message).toMatch(/^\[store-mongodb\] join failed: cannot reach MongoDB at .* within 0\.3 s/);
    expect(manager.isRunning).toBe(false);
    await failure(manager.start());
    expect([joins, reads]).toEqual([2, 0]);
  });

  it('keeps trying to connect on later calls instead of reporting a closed client', async () => {
    const store = downStore();
    await failure(store.ping());
    const again = await failure(store.ping());
    expect((again as StoreError).cause).toBeInstanceOf(MongoServerSelectionError);
    const read = await failure(store.getService('http-gw:http-gw-1'));
    expect((read as StoreError).cause).toBeInstanceOf(MongoServerSelectionError);
  });

  it('every contract call rejects with StoreError naming its own operation', async () => {
    const store = downStore();
    const calls = everyStoreCall(store, makeService({ subscriptions: ['eir'] }));
    const errors = await Promise.all(calls.map(([, call]) => failure(call())));
    errors.forEach((error, i) => {
      expect(error, calls[i]![0]).toBeInstanceOf(StoreError);
      expect((error as StoreError).operation).toBe(calls[i]![0]);
      expect((error as StoreError).cause).toBeInstanceOf(MongoServerSelectionError);
    });
  });

  it('rejects a bad record with a ValidationError before contacting the server', async () => {
    const store = downStore();
    let opening = 0;
    store.client.on('topologyOpening', () => opening++);
    const bad = makeService({ podName: 'a:b', updatedAt: new Date('not a date') });
    const error = await failure(store.saveService(bad));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path)).toEqual(['podName', 'updatedAt']);
    const batch = await failure(store.applyBatch([{ type: 'health', key: 'x:y', status: 'healthy', at: new Date() }, { type: 'save', service: bad }]));
    expect(batch).toBeInstanceOf(ValidationError);
    expect(opening).toBe(0);
  });

  it('an already aborted signal rejects with its reason and contacts nothing', async () => {
    const store = downStore();
    let opening = 0;
    store.client.on('topologyOpening', () => opening++);
    const reason = new Error('caller gave up');
    const signal = AbortSignal.abort(reason);
    expect(await failure(store.getService('a:b', { signal }))).toBe(reason);
    expect(await failure(store.saveService(makeService(), { signal }))).toBe(reason);
    expect(await failure(store.ping({ signal }))).toBe(reason);
    expect(opening).toBe(0);
  });

  it('a read aborted while waiting for the server rejects with the abort reason', async () => {
    const store = downStore({ serverSelectionTimeoutMs: 20_000 });
    await failure(store.ping({ signal: AbortSignal.timeout(200) }));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const pending = failure(store.getAllServices({ signal: controller.signal }));
    setTimeout(() => controller.abort(reason), 100);
    expect(await pending).toBe(reason);
  });
});

describe('closing', () => {
  it('closes the client it created; later calls reject with StoreError; close is idempotent', async () => {
    const store = downStore();
    await Promise.all([store.close(), store.close()]);
    await store.close();
    const raw = await failure(store.client.db('governance').command({ ping: 1 }));
    expect(raw).toBeInstanceOf(MongoNotConnectedError);
    for (const call of [store.ping(), store.getService('a:b'), store.saveService(makeService()), store.deleteService('a:b'), store.stats()]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/^\[store-mongodb\] \w+ failed: the store is closed; create a new MongoStore$/);
    }
  });

  it('never closes a client the host handed in', async () => {
    const host = new MongoClient(`mongodb://127.0.0.1:${closedPort}/governance`, { serverSelectionTimeoutMS: 300 });
    opened.push(host);
    const store = new MongoStore({ client: host, database: 'governance' });
    await store.close();
    await expect(store.getService('a:b')).rejects.toBeInstanceOf(StoreError);
    // Still open: the driver tries to reach the server instead of refusing a closed client.
    const raw = await failure(host.db('governance').command({ ping: 1 }));
    expect(raw).toBeInstanceOf(MongoServerSelectionError);
  });
});
