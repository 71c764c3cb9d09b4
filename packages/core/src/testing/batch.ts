import { expect } from 'vitest';
import { cloneService, keyOf } from '../model';
import type { RegistryStore, StoreMutation, StoreMutationResult } from '../store';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { expectTypedRejection, keysOf, makeService, malformedServices, sorted } from './fixtures';

function batch(store: RegistryStore, mutations: StoreMutation[]): Promise<StoreMutationResult[]> {
  if (store.applyBatch === undefined) throw new Error('[testing] this check needs a store with applyBatch');
  return store.applyBatch(mutations);
}

/**
 * The optional group commit. What a generic suite can check: order, results in position, that
 * a batch has the same effects as the single calls, and that a batch whose last mutation is
 * malformed changes nothing. Failures of the backend itself half-way through (a broken
 * connection, a constraint) need store-specific fault injection; adapters test those themselves.
 */
export const batchChecks: StoreChecks = {
  'an empty batch resolves to []': async (store) => {
    expect(await batch(store, [])).toEqual([]);
    expect(await store.stats()).toEqual({ services: 0, subscriptions: 0 });
  },

  'save then health in one batch applies both, in order': async (store, inspect) => {
    const pod = makeService({ status: 'unknown', subscriptions: ['eir'] });
    const at = new Date('2026-10-11T12:13:14.151Z');
    const results = await batch(store, [
      { type: 'save', service: pod },
      { type: 'health', key: keyOf(pod), status: 'healthy', at },
    ]);
    expect(results).toEqual([true, true]);
    expect(await store.getService(keyOf(pod))).toEqual({ ...pod, status: 'healthy', lastHealthCheck: at });
    expect(await store.getSubscribers('eir')).toEqual([keyOf(pod)]);
    if (inspect !== undefined) expect(await inspect.serviceKeys()).toEqual([keyOf(pod)]);
  },

  'results come back in position: delete or health of a missing key is false': async (store) => {
    const pod = makeService();
    const at = new Date('2026-10-11T12:13:15.001Z');
    const results = await batch(store, [
      { type: 'delete', key: keyOf(pod) },
      { type: 'health', key: keyOf(pod), status: 'healthy', at },
      { type: 'save', service: pod },
      { type: 'health', key: keyOf(pod), status: 'unhealthy', at },
      { type: 'delete', key: keyOf(pod) },
      { type: 'delete', key: keyOf(pod) },
      { type: 'health', key: keyOf(pod), status: 'healthy', at },
    ]);
    expect(results).toEqual([false, false, true, true, true, false, false]);
    expect(await store.getAllServices()).toEqual([]);
  },

  'later mutations see earlier ones: save, delete, save again': async (store) => {
    const first = makeService({ subscriptions: ['eir'] });
    const second = makeService({ subscriptions: ['diam-gw'], status: 'healthy' });
    const other = makeService({ serviceName: 'eir', podName: 'eir-1' });
    const results = await batch(store, [
      { type: 'save', service: first },
      { type: 'save', service: other },
      { type: 'delete', key: keyOf(first) },
      { type: 'save', service: second },
    ]);
    expect(results).toEqual([true, true, true, true]);
    expect(keysOf(await store.getAllServices())).toEqual(keysOf([second, other]));
    expect(await store.getService(keyOf(second))).toEqual(second);
    expect(await store.getSubscribers('eir')).toEqual([]);
    expect(await store.getSubscribers('diam-gw')).toEqual([keyOf(second)]);
  },

  'a batch save replaces the subscription index and a batch delete removes it': async (store, inspect) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw', 'diam-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await batch(store, [
      { type: 'save', service: { ...eir, subscriptions: ['smf'] } },
      { type: 'save', service: smf },
    ]);
    expect(await store.getSubscribers('diam-gw')).toEqual([]);
    expect(sorted(await store.getSubscribers('http-gw'))).toEqual([keyOf(smf)]);
    expect(await store.getSubscribers('smf')).toEqual([keyOf(eir)]);
    await batch(store, [{ type: 'delete', key: keyOf(eir) }]);
    expect(await store.getSubscribers('smf')).toEqual([]);
    expect(await store.stats()).toEqual({ services: 1, subscriptions: 1 });
    if (inspect !== undefined) expect(await inspect.subscriptionPairs()).toEqual([[keyOf(smf), 'http-gw']]);
  },

  'a batch with a malformed mutation rejects as a whole and applies nothing': async (store, inspect) => {
    const kept = makeService({ podName: 'kept', subscriptions: ['eir'] });
    await store.saveService(kept);
    for (const [what, bad] of malformedServices(makeService({ podName: 'bad' }))) {
      await expectTypedRejection(
        () =>
          batch(store, [
            { type: 'save', service: makeService({ podName: 'new', subscriptions: ['diam-gw'] }) },
            { type: 'health', key: keyOf(kept), status: 'healthy', at: new Date('2026-10-11T12:13:16.002Z') },
            { type: 'delete', key: keyOf(kept) },
            { type: 'save', service: bad },
          ]),
        `applyBatch ending with a save with ${what}`,
      );
      expect(await store.getAllServices(), `after a batch with ${what}`).toEqual([kept]);
      expect(await store.getSubscribers('diam-gw')).toEqual([]);
      expect(await store.getSubscribers('eir')).toEqual([keyOf(kept)]);
    }
    if (inspect !== undefined) expect(await inspect.serviceKeys()).toEqual([keyOf(kept)]);
  },

  'a batch copies its inputs': async (store) => {
    const pod = makeService({ subscriptions: ['eir'] });
    const expected = cloneService(pod);
    const mutations: StoreMutation[] = [{ type: 'save', service: pod }];
    await batch(store, mutations);
    pod.providers[0]!.port = 1;
    pod.subscriptions.push('scribbled');
    pod.updatedAt.setTime(0);
    mutations.length = 0;
    expect(await store.getService(keyOf(expected))).toEqual(expected);
  },
};

/** Defines the `applyBatch` block; its checks are skipped for stores without `applyBatch`. */
export function describeBatch(ctx: ConformanceContext): void {
  describeChecks(ctx, 'applyBatch: order, results, same effects as single calls', batchChecks, (store) =>
    store.applyBatch === undefined ? `${store.name} has no applyBatch (optional)` : undefined,
  );
}
