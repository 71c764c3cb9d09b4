import { cloneService, keyOf } from '../model';
import type { RegistryStore, StoreMutation, StoreMutationResult } from '../store';
import { deepEqual } from './assertions';
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
    deepEqual(await batch(store, []), []);
    deepEqual(await store.stats(), { services: 0, subscriptions: 0 });
  },

  'save then health in one batch applies both, in order': async (store, inspect) => {
    const pod = makeService({ status: 'unknown', subscriptions: ['eir'] });
    const at = new Date('2026-10-11T12:13:14.151Z');
    const results = await batch(store, [
      { type: 'save', service: pod },
      { type: 'health', key: keyOf(pod), status: 'healthy', at },
    ]);
    deepEqual(results, [true, true]);
    deepEqual(await store.getService(keyOf(pod)), { ...pod, status: 'healthy', lastHealthCheck: at });
    deepEqual(await store.getSubscribers('eir'), [keyOf(pod)]);
    if (inspect !== undefined) deepEqual(await inspect.serviceKeys(), [keyOf(pod)]);
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
    deepEqual(results, [false, false, true, true, true, false, false]);
    deepEqual(await store.getAllServices(), []);
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
    deepEqual(results, [true, true, true, true]);
    deepEqual(keysOf(await store.getAllServices()), keysOf([second, other]));
    deepEqual(await store.getService(keyOf(second)), second);
    deepEqual(await store.getSubscribers('eir'), []);
    deepEqual(await store.getSubscribers('diam-gw'), [keyOf(second)]);
  },

  'a batch save replaces the subscription index and a batch delete removes it': async (store, inspect) => {
    const eir = makeService({ serviceName: 'eir', podName: 'eir-1', subscriptions: ['http-gw', 'diam-gw'] });
    const smf = makeService({ serviceName: 'smf', podName: 'smf-1', subscriptions: ['http-gw'] });
    await store.saveService(eir);
    await batch(store, [
      { type: 'save', service: { ...eir, subscriptions: ['smf'] } },
      { type: 'save', service: smf },
    ]);
    deepEqual(await store.getSubscribers('diam-gw'), []);
    deepEqual(sorted(await store.getSubscribers('http-gw')), [keyOf(smf)]);
    deepEqual(await store.getSubscribers('smf'), [keyOf(eir)]);
    await batch(store, [{ type: 'delete', key: keyOf(eir) }]);
    deepEqual(await store.getSubscribers('smf'), []);
    deepEqual(await store.stats(), { services: 1, subscriptions: 1 });
    if (inspect !== undefined) deepEqual(await inspect.subscriptionPairs(), [[keyOf(smf), 'http-gw']]);
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
      deepEqual(await store.getAllServices(), [kept], `after a batch with ${what}`);
      deepEqual(await store.getSubscribers('diam-gw'), []);
      deepEqual(await store.getSubscribers('eir'), [keyOf(kept)]);
    }
    if (inspect !== undefined) deepEqual(await inspect.serviceKeys(), [keyOf(kept)]);
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
    deepEqual(await store.getService(keyOf(expected)), expected);
  },
};

/** Defines the `applyBatch` block; its checks are skipped for stores without `applyBatch`. */
export function describeBatch(ctx: ConformanceContext): void {
  describeChecks(ctx, 'applyBatch: order, results, same effects as single calls', batchChecks, (store) =>
    store.applyBatch === undefined ? `${store.name} has no applyBatch (optional)` : undefined,
  );
}
