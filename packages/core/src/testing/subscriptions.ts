import { keyOf } from '../model';
import type { RegistryStore } from '../store';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks, type StoreInspector } from './conformance-context';
import { keysOf, makeService, pairStrings, sorted } from './fixtures';

/**
 * Asserts the whole subscription index, through the adapter (`getSubscribers` per group and
 * `stats`) and, when given, through the raw driver.
 */
async function expectPairs(
  store: RegistryStore,
  inspect: StoreInspector | undefined,
  groups: readonly string[],
  pairs: Array<[string, string]>,
): Promise<void> {
  const expected = pairStrings(pairs);
  const seen: Array<[string, string]> = [];
  for (const group of groups) {
    for (const subscriber of await store.getSubscribers(group)) seen.push([subscriber, group]);
  }
  deepEqual(pairStrings(seen), expected, 'subscription pairs via getSubscribers');
  strictEqual((await store.stats()).subscriptions, expected.length, 'stats().subscriptions');
  if (inspect !== undefined) {
    deepEqual(pairStrings(await inspect.subscriptionPairs()), expected, 'persisted subscription pairs (raw read)');
  }
}

const GROUPS = ['http-gw', 'diam-gw', 'eir', 'smf'];

/** The subscription index: idempotence, scoping, and its link to saveService/deleteService. */
export const subscriptionChecks: StoreChecks = {
  'addSubscription is idempotent': async (store, inspect) => {
    await store.addSubscription('eir:eir-1', 'http-gw');
    await store.addSubscription('eir:eir-1', 'http-gw');
    await store.addSubscription('eir:eir-1', 'diam-gw');
    await store.addSubscription('eir:eir-1', 'http-gw');
    deepEqual(await store.getSubscribers('http-gw'), ['eir:eir-1']);
    await expectPairs(store, inspect, GROUPS, [
      ['eir:eir-1', 'http-gw'],
      ['eir:eir-1', 'diam-gw'],
    ]);
  },

  'getSubscribers lists every subscriber of a group and only them': async (store, inspect) => {
    await store.addSubscription('eir:eir-1', 'http-gw');
    await store.addSubscription('eir:eir-2', 'http-gw');
    await store.addSubscription('smf:smf-1', 'diam-gw');
    deepEqual(sorted(await store.getSubscribers('http-gw')), ['eir:eir-1', 'eir:eir-2']);
    deepEqual(await store.getSubscribers('diam-gw'), ['smf:smf-1']);
    deepEqual(await store.getSubscribers('eir'), []);
    await expectPairs(store, inspect, GROUPS, [
      ['eir:eir-1', 'http-gw'],
      ['eir:eir-2', 'http-gw'],
      ['smf:smf-1', 'diam-gw'],
    ]);
  },

  'removeSubscription removes one pair and is idempotent': async (store, inspect) => {
    await store.addSubscription('eir:eir-1', 'http-gw');
    await store.addSubscription('eir:eir-1', 'diam-gw');
    await store.addSubscription('eir:eir-2', 'http-gw');
    await store.removeSubscription('eir:eir-1', 'http-gw');
    await store.removeSubscription('eir:eir-1', 'http-gw');
    await store.removeSubscription('nobody:none', 'http-gw');
    await store.removeSubscription('eir:eir-1', 'no-such-group');
    await expectPairs(store, inspect, GROUPS, [
      ['eir:eir-1', 'diam-gw'],
      ['eir:eir-2', 'http-gw'],
    ]);
  },

  'removeAllSubscriptions touches only that subscriber and is idempotent': async (store, inspect) => {
    await store.addSubscription('eir:eir-1', 'http-gw');
    await store.addSubscription('eir:eir-1', 'diam-gw');
    await store.addSubscription('eir:eir-2', 'http-gw');
    await store.addSubscription('eir:eir-2', 'diam-gw');
    await store.addSubscription('smf:smf-1', 'eir');
    await store.removeAllSubscriptions('eir:eir-1');
    await store.removeAllSubscriptions('eir:eir-1');
    await store.removeAllSubscriptions('nobody:none');
    await expectPairs(store, inspect, GROUPS, [
      ['eir:eir-2', 'http-gw'],
      ['eir:eir-2', 'diam-gw'],
      ['smf:smf-1', 'eir'],
    ]);
  },

  'saveService indexes the pod under each of its subscriptions': async (store, inspect) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw', 'diam-gw'] });
    await store.saveService(eir);
    await expectPairs(store, inspect, GROUPS, [
      [keyOf(eir), 'http-gw'],
      [keyOf(eir), 'diam-gw'],
    ]);
  },

  'saveService replaces the pod\'s subscription index with its new list': async (store, inspect) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw', 'diam-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await store.saveService(smf);
    await store.addSubscription(keyOf(eir), 'smf');
    await store.saveService({ ...eir, subscriptions: ['diam-gw', 'eir'] });
    await expectPairs(store, inspect, GROUPS, [
      [keyOf(eir), 'diam-gw'],
      [keyOf(eir), 'eir'],
      [keyOf(smf), 'http-gw'],
    ]);
    await store.saveService({ ...eir, subscriptions: [] });
    await expectPairs(store, inspect, GROUPS, [[keyOf(smf), 'http-gw']]);
  },

  'addSubscription edits the index only, not the pod record': async (store) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await store.addSubscription(keyOf(eir), 'diam-gw');
    await store.removeSubscription(keyOf(eir), 'http-gw');
    deepEqual(await store.getService(keyOf(eir)), eir);
  },

  'deleteService removes the pod\'s subscriptions, nobody else\'s': async (store, inspect) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw', 'diam-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await store.saveService(smf);
    await store.addSubscription(keyOf(eir), 'smf');
    strictEqual(await store.deleteService(keyOf(eir)), true);
    await expectPairs(store, inspect, GROUPS, [[keyOf(smf), 'http-gw']]);
  },

  'getSubscriberServices returns the subscribers\' pod records': async (store) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw', 'diam-gw'] });
    const gw = makeService({ subscriptions: [] });
    for (const pod of [eir, smf, gw]) await store.saveService(pod);
    const services = await store.getSubscriberServices('http-gw');
    deepEqual(keysOf(services), keysOf([eir, smf]));
    deepEqual(services.find((s) => keyOf(s) === keyOf(smf)), smf);
    deepEqual(await store.getSubscriberServices('diam-gw'), [smf]);
  },

  'getSubscriberServices skips subscribers whose pod does not exist': async (store) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await store.addSubscription('ghost:ghost-1', 'http-gw');
    await store.addSubscription('ghost:ghost-2', 'diam-gw');
    deepEqual(sorted(await store.getSubscribers('http-gw')), sorted(['ghost:ghost-1', keyOf(eir)]));
    deepEqual(await store.getSubscriberServices('http-gw'), [eir]);
    deepEqual(await store.getSubscriberServices('diam-gw'), []);
  },
};

/** Defines the `subscriptions` block of the conformance suite. */
export function describeSubscriptions(ctx: ConformanceContext): void {
  describeChecks(ctx, 'subscriptions: index, idempotence, scoping', subscriptionChecks);
}
