import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, keyOf, type ServiceInfo, type StoreMutation } from '@governance/core';
import { makePods, makeService, runStoreConformance } from '@governance/core/testing';
import { MemoryStore } from '@governance/store-memory';

runStoreConformance({ describe, it }, 'MemoryStore', { create: async () => new MemoryStore() });

type Iterable = Map<unknown, unknown> | Set<unknown>;
const ITERATING = ['forEach', 'keys', 'values', 'entries', Symbol.iterator] as const;

/**
 * Runs `fn` while recording every iteration over a Map or Set holding at least `minSize`
 * entries. An index lookup never walks such a collection; a scan of all pods always does.
 */
async function scansOver(minSize: number, fn: () => Promise<unknown>): Promise<number[]> {
  const scans: number[] = [];
  const restore: Array<() => void> = [];
  for (const proto of [Map.prototype, Set.prototype] as unknown as Array<Record<PropertyKey, unknown>>) {
    for (const method of ITERATING) {
      const original = proto[method] as (this: Iterable, ...args: unknown[]) => unknown;
      proto[method] = function (this: Iterable, ...args: unknown[]) {
        if (this.size >= minSize) scans.push(this.size);
        return original.apply(this, args);
      };
      restore.push(() => {
        proto[method] = original;
      });
    }
  }
  try {
    await fn();
  } finally {
    for (const undo of restore) undo();
  }
  return scans;
}

describe('MemoryStore specifics', () => {
  const stores: MemoryStore[] = [];
  const fresh = () => {
    const store = new MemoryStore();
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('looks pods up by key, service name and subscribed group without walking unrelated pods', async () => {
    const store = fresh();
    const bulk = makePods('bulk', 2000, { subscriptions: ['bulk-group'] });
    for (const pod of bulk) await store.saveService(pod);
    const eir = makePods('eir', 3, { subscriptions: ['http-gw'] });
    for (const pod of eir) await store.saveService(pod);

    const results: unknown[] = [];
    const scans = await scansOver(1000, async () => {
      results.push(await store.getService(keyOf(eir[0]!)));
      results.push(await store.getServicesByName('eir'));
      results.push(await store.getSubscribers('http-gw'));
      results.push(await store.getSubscriberServices('http-gw'));
      results.push(await store.updateHealthStatus(keyOf(eir[0]!), 'healthy', new Date()));
      await store.saveService({ ...eir[0]!, subscriptions: ['diam-gw'] });
      results.push(await store.deleteService(keyOf(eir[1]!)));
      await store.addSubscription(keyOf(bulk[7]!), 'eir');
      await store.removeSubscription(keyOf(bulk[8]!), 'bulk-group');
      await store.removeAllSubscriptions(keyOf(bulk[7]!));
      results.push(await store.stats());
    });

    expect(scans).toEqual([]);
    expect((results[1] as ServiceInfo[]).length).toBe(3);
    expect((results[3] as ServiceInfo[]).length).toBe(3);
    // 2003 pairs, eir-1's removed, bulk-8's bulk-group removed, bulk-7's two removed.
    expect(results.at(-1)).toEqual({ services: 2002, subscriptions: 2000 });
    // The probe does see a real scan: listing every pod walks the whole table.
    expect(await scansOver(1000, () => store.getAllServices())).not.toEqual([]);
  });

  it('rejects a batch with a malformed mutation as a whole, changing nothing', async () => {
    const store = fresh();
    const kept = makeService({ podName: 'kept', subscriptions: ['eir'] });
    await store.saveService(kept);
    const broken = { ...makeService({ podName: 'broken' }), providers: undefined } as unknown as ServiceInfo;
    const mutations: StoreMutation[] = [
      { type: 'save', service: makeService({ podName: 'new', subscriptions: ['eir'] }) },
      { type: 'delete', key: keyOf(kept) },
      { type: 'save', service: broken },
    ];
    const failure = await store.applyBatch(mutations).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toMatch(/^\[store-memory\] applyBatch failed: mutation 2: the pod record is malformed .*; nothing was applied$/);
    expect(await store.getAllServices()).toEqual([kept]);
    expect(await store.getSubscribers('eir')).toEqual([keyOf(kept)]);

    const unknownKind = [{ type: 'rename', key: keyOf(kept) }] as unknown as StoreMutation[];
    await expect(store.applyBatch(unknownKind)).rejects.toThrow(/mutation 0: not a valid save, delete or health change; nothing was applied/);
    await expect(store.applyBatch([{ type: 'health', key: keyOf(kept), status: 'healthy', at: new Date(Number.NaN) }])).rejects.toThrow(StoreError);
    expect(await store.getService(keyOf(kept))).toEqual(kept);
  });

  it('rejects malformed records and dates with a StoreError, keeping stored data intact', async () => {
    const store = fresh();
    const pod = makeService();
    await store.saveService(pod);
    const noProviders = { ...pod, providers: undefined } as unknown as ServiceInfo;
    await expect(store.saveService(noProviders)).rejects.toThrow(/^\[store-memory\] saveService failed: the pod record is malformed/);
    await expect(store.saveService({ ...pod, registeredAt: new Date('not a date') })).rejects.toThrow(/registeredAt is not a valid date/);
    await expect(store.updateHealthStatus(keyOf(pod), 'healthy', new Date(Number.NaN))).rejects.toThrow(/`at` must be a valid Date/);
    expect(await store.getAllServices()).toEqual([pod]);
  });

  it('keeps each instance\'s data to itself', async () => {
    const a = fresh();
    const b = fresh();
    await a.saveService(makeService({ subscriptions: ['eir'] }));
    expect(await b.getAllServices()).toEqual([]);
    expect(await b.getSubscribers('eir')).toEqual([]);
  });

  it('says what to do when used after close', async () => {
    const store = fresh();
    await store.close();
    const failure = await store.getService('a:b').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ store: 'store-memory', operation: 'getService', transient: false });
    expect((failure as StoreError).message).toBe('[store-memory] getService failed: the store is closed; create a new MemoryStore');
  });
});

describe('MemoryStore subscription index on re-save', () => {
  it('a re-save whose list has duplicates still drops groups the list no longer names', async () => {
    const store = new MemoryStore();
    const pod = makeService({ serviceName: 'http-gw', podName: 'p1', subscriptions: ['a', 'b'] });
    await store.saveService(pod);
    await store.saveService({ ...pod, subscriptions: ['a', 'a'] });
    expect(await store.getSubscribers('b')).toEqual([]);
    expect(await store.getSubscribers('a')).toEqual(['http-gw:p1']);
    expect((await store.stats()).subscriptions).toBe(1);
  });

  it('a re-save with the same list keeps pairs equal to the list, and one with a new list replaces hand-added pairs', async () => {
    const store = new MemoryStore();
    const pod = makeService({ serviceName: 'http-gw', podName: 'p1', subscriptions: ['a'] });
    await store.saveService(pod);
    await store.saveService({ ...pod });
    expect(await store.getSubscribers('a')).toEqual(['http-gw:p1']);
    await store.addSubscription('http-gw:p1', 'extra');
    await store.saveService({ ...pod });
    expect(await store.getSubscribers('extra')).toEqual([]);
  });
});
