import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Manager,
  ManagerStoppedError,
  QueueFullError,
  StoreError,
  keyOf,
  type RegistryStore,
  type StoreMutation,
  type StoreMutationResult,
} from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { FAST, Fleet, deferred, podRegistration, waitFor } from './helpers';

/** A MemoryStore whose batches wait for `gate` and which can fail chosen pods. */
class ControlledStore extends MemoryStore {
  gate: Promise<void> | undefined;
  entered = deferred();
  batches: number[] = [];
  failPods = new Set<string>();
  transientFailures = 0;
  down = false;

  override async applyBatch(mutations: readonly StoreMutation[]): Promise<StoreMutationResult[]> {
    this.batches.push(mutations.length);
    this.entered.resolve();
    if (this.gate !== undefined) await this.gate;
    if (this.down) throw new StoreError('store-test', 'applyBatch', 'connection refused', { transient: true });
    if (this.transientFailures > 0) {
      this.transientFailures--;
      throw new StoreError('store-test', 'applyBatch', 'connection reset', { transient: true });
    }
    for (const m of mutations) {
      if (m.type === 'save' && this.failPods.has(m.service.podName)) {
        throw new StoreError('store-test', 'applyBatch', `constraint violated by ${m.service.podName}`);
      }
    }
    return super.applyBatch(mutations);
  }
}

/** A store without applyBatch (single calls only) whose saveService fails for chosen pods. */
function sequentialStore(inner: MemoryStore, failPods: Set<string>): RegistryStore {
  return {
    name: 'store-sequential',
    saveService: async (s) => {
      if (failPods.has(s.podName)) throw new StoreError('store-sequential', 'saveService', 'disk full');
      return inner.saveService(s);
    },
    getService: (k) => inner.getService(k),
    getServicesByName: (n) => inner.getServicesByName(n),
    getAllServices: () => inner.getAllServices(),
    deleteService: (k) => inner.deleteService(k),
    updateHealthStatus: (k, s, at) => inner.updateHealthStatus(k, s, at),
    addSubscription: (k, g) => inner.addSubscription(k, g),
    removeSubscription: (k, g) => inner.removeSubscription(k, g),
    removeAllSubscriptions: (k) => inner.removeAllSubscriptions(k),
    getSubscribers: (g) => inner.getSubscribers(g),
    getSubscriberServices: (g) => inner.getSubscriberServices(g),
    clear: () => inner.clear(),
    stats: () => inner.stats(),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

async function keysOf(source: { listServices?: () => Promise<{ serviceName: string; podName: string }[]> }): Promise<string[]> {
  return (await source.listServices!()).map(keyOf).sort();
}

describe('Manager ordered lane', () => {
  let fleet: Fleet;
  let manager: Manager;

  beforeEach(async () => {
    fleet = await Fleet.start();
  });

  afterEach(async () => {
    await manager?.stop({ timeoutMs: 500 });
    await fleet.close();
  });

  it('rejects with QueueFullError when eventQueueSize changes are already waiting', async () => {
    const store = new ControlledStore();
    const gate = deferred();
    manager = new Manager({ ...FAST, eventQueueSize: 3 }, store);
    await manager.start();
    store.gate = gate.promise;
    const first = manager.register(podRegistration(fleet, 'svc', 'p0'));
    await store.entered.promise;
    const waiting = [1, 2, 3].map((i) => manager.register(podRegistration(fleet, 'svc', `p${i}`)));
    expect(manager.stats().queueDepth).toBe(3);
    await expect(manager.register(podRegistration(fleet, 'svc', 'p4'))).rejects.toBeInstanceOf(QueueFullError);
    await expect(manager.unregister('svc', 'p0')).rejects.toBeInstanceOf(QueueFullError);

    store.gate = undefined;
    gate.resolve();
    const results = await Promise.all([first, ...waiting]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
    // The three waiting changes went to the store as one group commit.
    expect(store.batches.slice(0, 2)).toEqual([1, 3]);
    expect((await manager.listServices()).map((s) => s.podName).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
  });

  it('a store failure rejects only the failing change with StoreError and leaves no partial state', async () => {
    const store = new ControlledStore();
    const gate = deferred();
    manager = new Manager(FAST, store);
    await manager.start();
    store.gate = gate.promise;
    const blocker = manager.register(podRegistration(fleet, 'svc', 'p0'));
    await store.entered.promise;
    store.failPods.add('bad');
    const good1 = manager.register(podRegistration(fleet, 'svc', 'good1'));
    const bad = manager.register(podRegistration(fleet, 'svc', 'bad', ['svc']));
    const good2 = manager.register(podRegistration(fleet, 'svc', 'good2'));
    store.gate = undefined;
    gate.resolve();

    await blocker;
    await expect(bad).rejects.toBeInstanceOf(StoreError);
    await expect(bad).rejects.toThrow(/constraint violated by bad/);
    expect((await good1).outcome).toBe('created');
    expect((await good2).outcome).toBe('created');
    expect(store.batches[1]).toBe(3);
    expect(await manager.getService('svc:bad')).toBeUndefined();
    expect(await store.getService('svc:bad')).toBeUndefined();
    expect(await store.getSubscribers('svc')).toEqual([]);
    expect(await keysOf(manager)).toEqual(['svc:good1', 'svc:good2', 'svc:p0']);
    expect((await store.getAllServices()).map(keyOf).sort()).toEqual(['svc:good1', 'svc:good2', 'svc:p0']);
  });

  it('keeps the view equal to a store without applyBatch when one write in the middle fails', async () => {
    const inner = new MemoryStore();
    const failPods = new Set<string>();
    manager = new Manager(FAST, sequentialStore(inner, failPods));
    await manager.start();
    failPods.add('bad');
    const results = await Promise.allSettled([
      manager.register(podRegistration(fleet, 'svc', 'a')),
      manager.register(podRegistration(fleet, 'svc', 'bad')),
      manager.register(podRegistration(fleet, 'svc', 'c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
    expect(await keysOf(manager)).toEqual(['svc:a', 'svc:c']);
    expect((await inner.getAllServices()).map(keyOf).sort()).toEqual(['svc:a', 'svc:c']);
  });

  it('health results the store cannot take are reported once per batch, and the view stays equal to the store', async () => {
    const store = new ControlledStore();
    manager = new Manager({ ...FAST, healthCheckInterval: 60_000, storeRetry: { retries: 1, delayMs: 5 } }, store);
    const errors: Error[] = [];
    manager.on('error', (e) => errors.push(e));
    await manager.start();
    for (let i = 0; i < 5; i++) await manager.register(podRegistration(fleet, 'svc', `p${i}`));
    await waitFor(() => manager.stats().pods.healthy === 5, 'first checks');

    store.down = true;
    for (let i = 0; i < 5; i++) fleet.setHealth(`p${i}`, 'down');
    await manager.checkNow();
    // checkNow() resolves once the five results are in the lane; the lane is ordered, so when a
    // registration queued after them has failed, every attempt to store them is over.
    await expect(manager.register(podRegistration(fleet, 'svc', 'late'))).rejects.toBeInstanceOf(StoreError);
    expect(manager.stats().queueDepth).toBe(0);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(2);
    for (const error of errors) expect(error).toBeInstanceOf(StoreError);
    // Nothing was put back in the lane to fail again: a second registration behind the first
    // finds the same errors.
    const reported = errors.length;
    await expect(manager.register(podRegistration(fleet, 'svc', 'later'))).rejects.toBeInstanceOf(StoreError);
    expect(errors).toHaveLength(reported);
    expect(manager.stats().pods.healthy).toBe(5);

    store.down = false;
    await manager.checkNow();
    await waitFor(() => manager.stats().pods.unhealthy === 5, 'results stored after recovery');
    expect((await store.getAllServices()).map((s) => s.status)).toEqual(Array(5).fill('unhealthy'));
  });

  it('stop() keeps its deadline when the store hangs, and refuses the changes still waiting', async () => {
    const store = new ControlledStore();
    manager = new Manager(FAST, store);
    await manager.start();
    store.gate = new Promise(() => {});
    const stuck = manager.register(podRegistration(fleet, 'svc', 'p0'));
    stuck.catch(() => {});
    await store.entered.promise;
    const waiting = manager.register(podRegistration(fleet, 'svc', 'p1'));
    // Without the deadline this would hang until the test times out.
    await manager.stop({ timeoutMs: 300 });
    await expect(waiting).rejects.toBeInstanceOf(ManagerStoppedError);
    expect(manager.isRunning).toBe(false);
  });

  it('retries a transient store failure within the retry budget', async () => {
    const store = new ControlledStore();
    manager = new Manager({ ...FAST, storeRetry: { retries: 2, delayMs: 5 } }, store);
    await manager.start();
    store.transientFailures = 2;
    const result = await manager.register(podRegistration(fleet, 'svc', 'p1'));
    expect(result.outcome).toBe('created');
    expect(await store.getService('svc:p1')).toBeDefined();

    store.transientFailures = 3;
    await expect(manager.register(podRegistration(fleet, 'svc', 'p2'))).rejects.toMatchObject({ transient: true });
    expect(await manager.getService('svc:p2')).toBeUndefined();
  });

  it('applies changes in the order they were made, also inside one batch', async () => {
    const store = new ControlledStore();
    const gate = deferred();
    manager = new Manager(FAST, store);
    await manager.start();
    store.gate = gate.promise;
    const blocker = manager.register(podRegistration(fleet, 'other', 'x'));
    await store.entered.promise;
    const steps = Promise.all([
      manager.register(podRegistration(fleet, 'svc', 'p1', [], 1)),
      manager.unregister('svc', 'p1'),
      manager.unregister('svc', 'p1'),
      manager.register(podRegistration(fleet, 'svc', 'p1', [], 2)),
      manager.register(podRegistration(fleet, 'svc', 'p1', [], 3)),
      manager.register(podRegistration(fleet, 'svc', 'p1', [], 3)),
    ]);
    store.gate = undefined;
    gate.resolve();
    await blocker;
    const [r1, u1, u2, r2, r3, r4] = await steps;
    expect([r1.outcome, u1, u2, r2.outcome, r3.outcome, r4.outcome]).toEqual([
      'created', true, false, 'created', 'updated', 'unchanged',
    ]);
    expect(store.batches[1]).toBe(4);
    expect((await store.getService('svc:p1'))!.providers[0]!.port).toBe(3);
    expect((await manager.getService('svc:p1'))!.providers[0]!.port).toBe(3);
  });

  it('a throwing listener never breaks the engine; the error is reported on error', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (_o: object, msg?: string) => logged.push(msg ?? '') };
    manager = new Manager({ ...FAST, logger }, new MemoryStore());
    await manager.start();
    manager.on('registered', () => {
      throw new Error('listener bug');
    });
    const result = await manager.register(podRegistration(fleet, 'svc', 'p1'));
    expect(result.outcome).toBe('created');
    expect(logged.some((m) => m.includes("'registered' listener threw"))).toBe(true);

    const errors: Error[] = [];
    manager.on('error', (e) => errors.push(e));
    await manager.register(podRegistration(fleet, 'svc', 'p2'));
    expect(errors.map((e) => e.message)).toEqual(['listener bug']);
    await waitFor(() => manager.stats().pods.healthy === 2, 'checks still running');
    expect(await manager.unregister('svc', 'p1')).toBe(true);
  });

  it('listeners get copies: mutating an event argument changes nothing', async () => {
    manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    manager.on('registered', (service) => {
      service.providers[0]!.port = 1;
      service.subscriptions.push('hijack');
    });
    await manager.register(podRegistration(fleet, 'svc', 'p1', [], 8080));
    const stored = await manager.getService('svc:p1');
    expect(stored!.providers[0]!.port).toBe(8080);
    expect(stored!.subscriptions).toEqual([]);
  });
});
