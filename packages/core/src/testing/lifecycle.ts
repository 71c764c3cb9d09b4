import assert from 'node:assert/strict';
import { keyOf } from '../model';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { everyStoreCall, expectStoreError, makePods, makeService } from './fixtures';

/** ping, stats, clear and close. */
export const lifecycleChecks: StoreChecks = {
  'name is a non-empty string': async (store) => {
    strictEqual(typeof store.name, 'string');
    assert.ok(store.name.length > 0, 'store.name is empty');
  },

  'ping resolves on an open store': async (store) => {
    await store.ping();
  },

  'every call accepts a trailing { signal } that is not aborted': async (store) => {
    const options = { signal: new AbortController().signal };
    const pod = makeService({ subscriptions: ['eir'] });
    const key = keyOf(pod);
    await store.saveService(pod, options);
    deepEqual(await store.getService(key, options), pod);
    deepEqual(await store.getServicesByName(pod.serviceName, options), [pod]);
    deepEqual(await store.getAllServices(options), [pod]);
    strictEqual(await store.updateHealthStatus(key, 'healthy', pod.lastHealthCheck, options), true);
    await store.addSubscription(key, 'diam-gw', options);
    deepEqual(await store.getSubscribers('diam-gw', options), [key]);
    deepEqual(await store.getSubscriberServices('diam-gw', options), [{ ...pod, status: 'healthy' }]);
    await store.removeSubscription(key, 'diam-gw', options);
    await store.removeAllSubscriptions(key, options);
    deepEqual(await store.stats(options), { services: 1, subscriptions: 0 });
    await store.ping(options);
    if (store.applyBatch !== undefined) {
      deepEqual(await store.applyBatch([{ type: 'delete', key }], options), [true]);
      await store.saveService(pod, options);
    }
    strictEqual(await store.deleteService(key, options), true);
    await store.clear(options);
  },

  'a fresh store is empty': async (store, inspect) => {
    deepEqual(await store.stats(), { services: 0, subscriptions: 0 });
    deepEqual(await store.getAllServices(), []);
    if (inspect !== undefined) {
      deepEqual(await inspect.serviceKeys(), []);
      deepEqual(await inspect.subscriptionPairs(), []);
    }
  },

  'stats counts pods and subscription pairs': async (store) => {
    const pods = makePods('http-gw', 3, { subscriptions: ['eir', 'diam-gw'] });
    for (const pod of pods) await store.saveService(pod);
    await store.addSubscription('ghost:ghost-1', 'eir');
    deepEqual(await store.stats(), { services: 3, subscriptions: 7 });
    await store.deleteService(keyOf(pods[0]!));
    deepEqual(await store.stats(), { services: 2, subscriptions: 5 });
  },

  'clear removes every pod and subscription and the store stays usable': async (store, inspect) => {
    for (const pod of makePods('http-gw', 3, { subscriptions: ['eir'] })) await store.saveService(pod);
    await store.addSubscription('ghost:ghost-1', 'diam-gw');
    await store.clear();
    deepEqual(await store.stats(), { services: 0, subscriptions: 0 });
    deepEqual(await store.getAllServices(), []);
    deepEqual(await store.getServicesByName('http-gw'), []);
    deepEqual(await store.getSubscribers('eir'), []);
    deepEqual(await store.getSubscribers('diam-gw'), []);
    if (inspect !== undefined) {
      deepEqual(await inspect.serviceKeys(), []);
      deepEqual(await inspect.subscriptionPairs(), []);
    }
    await store.clear();
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    deepEqual(await store.getService(keyOf(pod)), pod);
    deepEqual(await store.getSubscribers('eir'), [keyOf(pod)]);
  },

  'close is idempotent': async (store) => {
    await store.close();
    await store.close();
    await Promise.all([store.close(), store.close()]);
  },

  'every call after close rejects with StoreError': async (store) => {
    await store.saveService(makeService());
    await store.close();
    for (const [name, call] of everyStoreCall(store)) await expectStoreError(call, `${name} after close`);
  },
};

/** Defines the `lifecycle` block of the conformance suite. */
export function describeLifecycle(ctx: ConformanceContext): void {
  describeChecks(ctx, 'lifecycle: ping, stats, clear, close', lifecycleChecks);
}
