import { createServer, type Socket } from 'node:net';
import { closedPort } from '../../../test/support/ports';
import { StoreError, ValidationError, type RegistryStore, type StoreMutation } from '@governance/core';
import { makeService, type StoreInspector } from '@governance/core/testing';
import { expect, it } from 'vitest';
import { expectBatchesMatchSequential } from './batch-equivalence';

/** A SQL store under test: the cases below only need `applyBatch` besides the contract. */
export type BatchingStore = RegistryStore & { applyBatch(mutations: readonly StoreMutation[]): Promise<unknown> };

/** How one SQL store's test file plugs into the shared scenarios. */
export interface SqlStoreTarget {
  /** The package the error messages start with. */
  packageName: 'store-postgres' | 'store-mysql';
  /** A store on the file's test database whose tables carry `tablePrefix`. */
  open(tablePrefix: string): BatchingStore;
  /** Raw-driver reads of the tables with that prefix. */
  inspect(tablePrefix: string): StoreInspector;
  /** A store pointed at 127.0.0.1:`port` (database `test`), giving up connecting after `connectTimeoutMs`. */
  openAt(port: number, connectTimeoutMs: number): RegistryStore;
}

/** The StoreError a call rejects with (fails the test when it resolves or throws anything else). */
export async function storeError(call: Promise<unknown>): Promise<StoreError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

export { closedPort };

/**
 * Batch atomicity cases every SQL store must pass; call inside the store's `describe`, after its
 * database is set up (the target's functions are only called from within the tests).
 */
export function sqlStoreBatchScenarios(target: SqlStoreTarget): void {
  it('a batch failing at its last mutation leaves none of the earlier ones behind', async () => {
    const store = target.open('atomic_');
    await store.saveService(makeService({ podName: 'kept', subscriptions: ['eir'] }));
    const error = await storeError(
      store.applyBatch([
        { type: 'save', service: makeService({ podName: 'first', subscriptions: ['diam-gw'] }) },
        { type: 'delete', key: 'http-gw:kept' },
        { type: 'save', service: makeService({ podName: 'bad', status: 'sleepy' as never }) },
      ]),
    );
    expect(error.operation).toBe('applyBatch');
    expect(error.message).toMatch(new RegExp(`^\\[${target.packageName}\\] applyBatch failed: .*status must be healthy, unhealthy or unknown`));
    expect(error.transient).toBe(false);
    expect(await target.inspect('atomic_').serviceKeys()).toEqual(['http-gw:kept']);
    expect(await target.inspect('atomic_').subscriptionPairs()).toEqual([['http-gw:kept', 'eir']]);
  });

  it('a batch whose later stage fails rolls back the statements already sent', async () => {
    const store = target.open('stages_');
    await storeError(
      store.applyBatch([
        { type: 'save', service: makeService({ podName: 'first', subscriptions: ['eir'] }) },
        { type: 'health', key: 'http-gw:first', status: 'sleepy' as never, at: new Date() },
      ]),
    );
    expect(await target.inspect('stages_').serviceKeys()).toEqual([]);
    expect(await target.inspect('stages_').subscriptionPairs()).toEqual([]);
  });

  it('mixed batches give the same results and state as applying them one by one', async () => {
    await expectBatchesMatchSequential(target.open('mixed_'));
  });

  it('a save with an invalid status changes nothing', async () => {
    const store = target.open('badsave_');
    await store.saveService(makeService({ subscriptions: ['eir'] }));
    await storeError(store.saveService(makeService({ status: 'sleepy' as never, subscriptions: ['other'] })));
    expect(await target.inspect('badsave_').subscriptionPairs()).toEqual([['http-gw:http-gw-1', 'eir']]);
    expect((await store.getService('http-gw:http-gw-1'))?.status).toBe('unknown');
  });
}

/** Connection failures every SQL store must report as clear, classified StoreErrors. */
export function sqlStoreConnectionScenarios(target: SqlStoreTarget): void {
  it('a refused connection is a transient StoreError that names the server', async () => {
    const port = await closedPort();
    const store = target.openAt(port, 2000);
    const error = await storeError(store.ping());
    expect(error.message).toBe(
      `[${target.packageName}] ping failed: cannot connect to 127.0.0.1:${port}/test: connection refused; is the server running at 127.0.0.1:${port}/test?`,
    );
    expect(error.transient).toBe(true);
    expect(error.cause).toBeDefined();
    const viaCall = await storeError(store.getService('x:y'));
    expect(viaCall.operation).toBe('migrate');
  }, 8000);

  it('a server that never answers gives a transient timeout StoreError after connectTimeoutMs', async () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const error = await storeError(target.openAt(port, 300).ping());
      expect(error.message).toMatch(/timed out/);
      expect(error.transient).toBe(true);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 8000);
}

/**
 * The field paths of the `ValidationError` that `make` throws for `${storeName} options` (fails
 * the test when it throws anything else or nothing).
 */
export function optionFieldsOf(storeName: string, packageName: string, make: () => unknown): string[] {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(new RegExp(`^\\[${packageName}\\] invalid ${storeName} options: `));
    return (error as ValidationError).errors.map((e) => e.path);
  }
  throw new Error('expected a ValidationError');
}

/**
 * After the server dropped the store's connections: the first call may still meet a dying
 * connection and must then fail transiently; the pool discards it, so the pod is found after.
 */
export async function expectRecoversAfterDrop(store: RegistryStore, key: string, podName: string): Promise<void> {
  let found = await store.getService(key).catch((error: unknown) => {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).transient).toBe(true);
    return undefined;
  });
  found ??= await store.getService(key);
  expect(found?.podName).toBe(podName);
  expect(await store.getService(key)).toBeDefined();
}
