import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, cloneService, keyOf, type ServiceInfo, type StoreMutation } from '@governance/core';
import { makePods, makeService, runStoreConformance } from '@governance/core/testing';
import { MemoryStore } from '@governance/store-memory';

/** A MemoryStore that remembers every group it was told about, so its raw state can be listed. */
class InspectableMemoryStore extends MemoryStore {
  readonly groups = new Set<string>();
  override async saveService(service: ServiceInfo): Promise<void> {
    for (const group of service.subscriptions) this.groups.add(group);
    await super.saveService(service);
  }
  override async addSubscription(subscriberKey: string, serviceGroup: string): Promise<void> {
    this.groups.add(serviceGroup);
    await super.addSubscription(subscriberKey, serviceGroup);
  }
  override async applyBatch(mutations: readonly StoreMutation[]): Promise<boolean[]> {
    for (const m of mutations) if (m.type === 'save') for (const g of m.service.subscriptions) this.groups.add(g);
    return super.applyBatch(mutations);
  }
}

// The suite's one full run against MemoryStore, with `inspect` wired in so the suite's
// persisted-state assertions run too (the subclass only observes; every call is MemoryStore's).
let inspected: InspectableMemoryStore | undefined;
runStoreConformance({ describe, it }, 'MemoryStore', {
  create: async () => (inspected = new InspectableMemoryStore()),
  inspect: {
    serviceKeys: async () => (await inspected!.getAllServices()).map(keyOf),
    subscriptionPairs: async () => {
      const pairs: Array<[string, string]> = [];
      for (const group of inspected!.groups) {
        for (const subscriber of await inspected!.getSubscribers(group)) pairs.push([subscriber, group]);
      }
      return pairs;
    },
  },
});

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

  it('reports a failed write through the promise, never by throwing', async () => {
    const store = fresh();
    let save: Promise<void> | undefined;
    let health: Promise<boolean> | undefined;
    expect(() => (save = store.saveService(null as unknown as ServiceInfo))).not.toThrow();
    expect(() => (health = store.updateHealthStatus('a:b', 'healthy', 'now' as unknown as Date))).not.toThrow();
    await expect(save).rejects.toThrow(StoreError);
    await expect(health).rejects.toThrow(StoreError);
    await store.close();
    await expect(store.saveService(makeService())).rejects.toThrow(/saveService failed: the store is closed/);
    await expect(store.updateHealthStatus('a:b', 'healthy', new Date())).rejects.toThrow(/updateHealthStatus failed: the store is closed/);
  });

  it('stores a re-save that differs from the stored record in any one field', async () => {
    const store = fresh();
    const pod = makeService({ subscriptions: ['eir'], ttl: 30 });
    await store.saveService(pod);
    const changes: Partial<ServiceInfo>[] = [
      { providers: [{ protocol: 'http', ip: '10.0.0.2', port: 8080 }] },
      { subscriptions: ['udm'] },
      { healthCheckUrl: 'http://10.0.0.1:8080/h2' },
      { notificationUrl: 'http://10.0.0.1:8080/n2' },
      { status: 'healthy' },
      { ttl: 60 },
      { ttl: undefined },
      { lastHealthCheck: new Date(pod.lastHealthCheck.getTime() + 1) },
      { registeredAt: new Date(pod.registeredAt.getTime() + 1) },
      { updatedAt: new Date(pod.updatedAt.getTime() + 1) },
    ];
    for (const change of changes) {
      const changed = { ...pod, ...change };
      if (change.ttl === undefined && 'ttl' in change) delete changed.ttl;
      await store.saveService(changed);
      expect(await store.getService(keyOf(pod))).toEqual(changed);
      await store.saveService(pod);
      expect(await store.getService(keyOf(pod))).toEqual(pod);
    }
    expect(await store.getSubscribers('eir')).toEqual([keyOf(pod)]);
    expect(await store.getSubscribers('udm')).toEqual([]);
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

describe('MemoryStore shares deeply frozen records', () => {
  const setters = (d: Date) => [() => d.setTime(0), () => d.setUTCFullYear(1999), () => d.setHours(1), () => d.setMilliseconds(1)];

  it('returns the stored record itself, frozen all the way down, Dates included', async () => {
    const store = new MemoryStore();
    const pod = makeService({ subscriptions: ['eir', 'diam-gw'] });
    await store.saveService(pod);
    await store.addSubscription(keyOf(pod), 'udm');
    const a = await store.getService(keyOf(pod));
    const b = await store.getService(keyOf(pod));
    const [byName] = await store.getServicesByName(pod.serviceName);
    const [all] = await store.getAllServices();
    const [subscriber] = await store.getSubscriberServices('udm');
    expect(a).toBe(b);
    expect(byName).toBe(a);
    expect(all).toBe(a);
    expect(subscriber).toBe(a);
    for (const part of [a, a!.providers, ...a!.providers, a!.subscriptions, a!.lastHealthCheck, a!.registeredAt, a!.updatedAt]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    for (const date of [a!.lastHealthCheck, a!.registeredAt, a!.updatedAt]) {
      for (const set of setters(date)) expect(set).toThrow(/^\[store-memory\] Date\.set\w+: this Date belongs to a stored pod record and is read-only; copy it first/);
    }
    expect(() => {
      (a as { status: string }).status = 'healthy';
    }).toThrow(TypeError);
    expect(await store.getService(keyOf(pod))).toEqual(pod);
  });

  it('hands out Dates that behave like any other Date', async () => {
    const store = new MemoryStore();
    const pod = makeService();
    await store.saveService(pod);
    const read = (await store.getService(keyOf(pod)))!;
    expect(read.registeredAt).toBeInstanceOf(Date);
    expect(read.registeredAt.toISOString()).toBe(pod.registeredAt.toISOString());
    expect(JSON.parse(JSON.stringify(read))).toEqual(JSON.parse(JSON.stringify(pod)));
    const cloned = structuredClone(read);
    expect(cloned.updatedAt.getTime()).toBe(pod.updatedAt.getTime());
    cloned.updatedAt.setTime(0);
    const copy = cloneService(read);
    copy.status = 'healthy';
    copy.lastHealthCheck.setTime(0);
    expect(await store.getService(keyOf(pod))).toEqual(pod);
  });

  it('never freezes or keeps the caller\'s objects', async () => {
    const store = new MemoryStore();
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    await store.applyBatch([{ type: 'save', service: pod }]);
    await store.updateHealthStatus(keyOf(pod), 'healthy', pod.lastHealthCheck);
    for (const part of [pod, pod.providers, ...pod.providers, pod.subscriptions, pod.lastHealthCheck, pod.registeredAt, pod.updatedAt]) {
      expect(Object.isFrozen(part)).toBe(false);
    }
    pod.lastHealthCheck.setTime(0);
    expect((await store.getService(keyOf(pod)))!.lastHealthCheck.getTime()).not.toBe(0);
  });

  it('replaces a record on every write, so a record read earlier stays as it was', async () => {
    const store = new MemoryStore();
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    const before = (await store.getService(keyOf(pod)))!;
    const at = new Date('2026-05-06T07:08:09.010Z');
    await store.updateHealthStatus(keyOf(pod), 'healthy', at);
    const after = (await store.getService(keyOf(pod)))!;
    expect(before.status).toBe('unknown');
    expect(after).toEqual({ ...pod, status: 'healthy', lastHealthCheck: at });
    // The unchanged parts are shared with the record it replaced, not copied again.
    expect(after.providers).toBe(before.providers);
    expect(after.subscriptions).toBe(before.subscriptions);
    expect(after.registeredAt).toBe(before.registeredAt);

    // Saving a changed copy of a read record (the manager's way) shares what did not change.
    await store.saveService({ ...after, notificationUrl: 'http://10.0.0.1:8080/notify2', updatedAt: new Date(at.getTime() + 1) });
    const resaved = (await store.getService(keyOf(pod)))!;
    expect(resaved.notificationUrl).toBe('http://10.0.0.1:8080/notify2');
    expect(resaved.providers).toBe(before.providers);
    expect(resaved.lastHealthCheck).toBe(after.lastHealthCheck);
    expect(after.notificationUrl).toBe(pod.notificationUrl);
  });
});
