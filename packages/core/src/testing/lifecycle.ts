import { expect } from 'vitest';
import { keyOf } from '../model';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { everyStoreCall, expectStoreError, makePods, makeService } from './fixtures';

/** ping, stats, clear and close. */
export const lifecycleChecks: StoreChecks = {
  'name is a non-empty string': async (store) => {
    expect(typeof store.name).toBe('string');
    expect(store.name.length).toBeGreaterThan(0);
  },

  'ping resolves on an open store': async (store) => {
    await store.ping();
  },

  'every call accepts a trailing { signal } that is not aborted': async (store) => {
    const options = { signal: new AbortController().signal };
    const pod = makeService({ subscriptions: ['eir'] });
    const key = keyOf(pod);
    await store.saveService(pod, options);
    expect(await store.getService(key, options)).toEqual(pod);
    expect(await store.getServicesByName(pod.serviceName, options)).toEqual([pod]);
    expect(await store.getAllServices(options)).toEqual([pod]);
    expect(await store.updateHealthStatus(key, 'healthy', pod.lastHealthCheck, options)).toBe(true);
    await store.addSubscription(key, 'diam-gw', options);
    expect(await store.getSubscribers('diam-gw', options)).toEqual([key]);
    expect(await store.getSubscriberServices('diam-gw', options)).toEqual([{ ...pod, status: 'healthy' }]);
    await store.removeSubscription(key, 'diam-gw', options);
    await store.removeAllSubscriptions(key, options);
    expect(await store.stats(options)).toEqual({ services: 1, subscriptions: 0 });
    await store.ping(options);
    if (store.applyBatch !== undefined) {
      expect(await store.applyBatch([{ type: 'delete', key }], options)).toEqual([true]);
      await store.saveService(pod, options);
    }
    expect(await store.deleteService(key, options)).toBe(true);
    await store.clear(options);
  },

  'a fresh store is empty': async (store, inspect) => {
    expect(await store.stats()).toEqual({ services: 0, subscriptions: 0 });
    expect(await store.getAllServices()).toEqual([]);
    if (inspect !== undefined) {
      expect(await inspect.serviceKeys()).toEqual([]);
      expect(await inspect.subscriptionPairs()).toEqual([]);
    }
  },

  'stats counts pods and subscription pairs': async (store) => {
    const pods = makePods('http-gw', 3, { subscriptions: ['eir', 'diam-gw'] });
    for (const pod of pods) await store.saveService(pod);
    await store.addSubscription('ghost:ghost-1', 'eir');
    expect(await store.stats()).toEqual({ services: 3, subscriptions: 7 });
    await store.deleteService(keyOf(pods[0]!));
    expect(await store.stats()).toEqual({ services: 2, subscriptions: 5 });
  },

  'clear removes every pod and subscription and the store stays usable': async (store, inspect) => {
    for (const pod of makePods('http-gw', 3, { subscriptions: ['eir'] })) await store.saveService(pod);
    await store.addSubscription('ghost:ghost-1', 'diam-gw');
    await store.clear();
    expect(await store.stats()).toEqual({ services: 0, subscriptions: 0 });
    expect(await store.getAllServices()).toEqual([]);
    expect(await store.getServicesByName('http-gw')).toEqual([]);
    expect(await store.getSubscribers('eir')).toEqual([]);
    expect(await store.getSubscribers('diam-gw')).toEqual([]);
    if (inspect !== undefined) {
      expect(await inspect.serviceKeys()).toEqual([]);
      expect(await inspect.subscriptionPairs()).toEqual([]);
    }
    await store.clear();
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    expect(await store.getService(keyOf(pod))).toEqual(pod);
    expect(await store.getSubscribers('eir')).toEqual([keyOf(pod)]);
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
