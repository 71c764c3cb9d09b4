import { expect } from 'vitest';
import { keyOf } from '../model';
import type { RegistryStore } from '../store';
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
  expect(pairStrings(seen), 'subscription pairs via getSubscribers').toEqual(expected);
  expect((await store.stats()).subscriptions, 'stats().subscriptions').toBe(expected.length);
  if (inspect !== undefined) {
    expect(pairStrings(await inspect.subscriptionPairs()), 'persisted subscription pairs (raw read)').toEqual(expected);
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
    expect(await store.getSubscribers('http-gw')).toEqual(['eir:eir-1']);
    await expectPairs(store, inspect, GROUPS, [
      ['eir:eir-1', 'http-gw'],
      ['eir:eir-1', 'diam-gw'],
    ]);
  },

  'getSubscribers lists every subscriber of a group and only them': async (store, inspect) => {
    await store.addSubscription('eir:eir-1', 'http-gw');
    await store.addSubscription('eir:eir-2', 'http-gw');
    await store.addSubscription('smf:smf-1', 'diam-gw');
    expect(sorted(await store.getSubscribers('http-gw'))).toEqual(['eir:eir-1', 'eir:eir-2']);
    expect(await store.getSubscribers('diam-gw')).toEqual(['smf:smf-1']);
    expect(await store.getSubscribers('eir')).toEqual([]);
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
    expect(await store.getService(keyOf(eir))).toEqual(eir);
  },

  'deleteService removes the pod\'s subscriptions, nobody else\'s': async (store, inspect) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw', 'diam-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await store.saveService(smf);
    await store.addSubscription(keyOf(eir), 'smf');
    expect(await store.deleteService(keyOf(eir))).toBe(true);
    await expectPairs(store, inspect, GROUPS, [[keyOf(smf), 'http-gw']]);
  },

  'getSubscriberServices returns the subscribers\' pod records': async (store) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw', 'diam-gw'] });
    const gw = makeService({ subscriptions: [] });
    for (const pod of [eir, smf, gw]) await store.saveService(pod);
    const services = await store.getSubscriberServices('http-gw');
    expect(keysOf(services)).toEqual(keysOf([eir, smf]));
    expect(services.find((s) => keyOf(s) === keyOf(smf))).toEqual(smf);
    expect(await store.getSubscriberServices('diam-gw')).toEqual([smf]);
  },

  'getSubscriberServices skips subscribers whose pod does not exist': async (store) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await store.addSubscription('ghost:ghost-1', 'http-gw');
    await store.addSubscription('ghost:ghost-2', 'diam-gw');
    expect(sorted(await store.getSubscribers('http-gw'))).toEqual(sorted(['ghost:ghost-1', keyOf(eir)]));
    expect(await store.getSubscriberServices('http-gw')).toEqual([eir]);
    expect(await store.getSubscriberServices('diam-gw')).toEqual([]);
  },
};

/** Defines the `subscriptions` block of the conformance suite. */
export function describeSubscriptions(ctx: ConformanceContext): void {
  describeChecks(ctx, 'subscriptions: index, idempotence, scoping', subscriptionChecks);
}
