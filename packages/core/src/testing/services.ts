import { expect } from 'vitest';
import { keyOf } from '../model';
import { describeChecks, type ConformanceContext, type StoreChecks, type StoreInspector } from './conformance-context';
import { expectTypedRejection, keysOf, makePods, makeService, malformedServices, sorted } from './fixtures';

async function expectPersistedKeys(inspect: StoreInspector | undefined, keys: string[]): Promise<void> {
  if (inspect === undefined) return;
  expect(sorted(await inspect.serviceKeys()), 'persisted service keys (raw read)').toEqual(sorted(keys));
}

/** CRUD, upsert and not-found behaviour of the pod records. */
export const serviceChecks: StoreChecks = {
  'saveService then getService returns an equal record': async (store, inspect) => {
    const pod = makeService({ subscriptions: ['diam-gw', 'eir'] });
    await store.saveService(pod);
    const got = await store.getService(keyOf(pod));
    expect(got).toEqual(pod);
    expect(got!.lastHealthCheck).toBeInstanceOf(Date);
    expect(got!.registeredAt).toBeInstanceOf(Date);
    expect(got!.updatedAt).toBeInstanceOf(Date);
    await expectPersistedKeys(inspect, [keyOf(pod)]);
  },

  'saveService of an existing key replaces it, keeping one record per key': async (store, inspect) => {
    const first = makeService({ status: 'unknown' });
    const second = makeService({
      status: 'healthy',
      providers: [{ protocol: 'udp', ip: '10.9.9.9', port: 9999 }],
      healthCheckUrl: 'tcp://10.9.9.9:9999',
      notificationUrl: 'http://10.9.9.9:9999/n',
      updatedAt: new Date('2026-05-06T07:08:09.010Z'),
    });
    await store.saveService(first);
    await store.saveService(second);
    await store.saveService(second);
    expect(await store.getService(keyOf(first))).toEqual(second);
    expect(await store.getAllServices()).toEqual([second]);
    expect(await store.getServicesByName(first.serviceName)).toEqual([second]);
    expect((await store.stats()).services).toBe(1);
    await expectPersistedKeys(inspect, [keyOf(first)]);
  },

  'getServicesByName returns exactly the pods of that service': async (store) => {
    const gw = makePods('http-gw', 3);
    const diam = makePods('diam-gw', 2);
    for (const pod of [...gw, ...diam]) await store.saveService(pod);
    expect(keysOf(await store.getServicesByName('http-gw'))).toEqual(keysOf(gw));
    expect(keysOf(await store.getServicesByName('diam-gw'))).toEqual(keysOf(diam));
    expect(await store.getServicesByName('http')).toEqual([]);
    expect(await store.getServicesByName('http-gw-0')).toEqual([]);
  },

  'getServicesByName treats % and _ literally, not as patterns': async (store) => {
    await store.saveService(makeService({ serviceName: 'svcXa', podName: 'p1' }));
    await store.saveService(makeService({ serviceName: 'svc_a', podName: 'p2' }));
    await store.saveService(makeService({ serviceName: 'svc%', podName: 'p3' }));
    expect(keysOf(await store.getServicesByName('svc_a'))).toEqual(['svc_a:p2']);
    expect(keysOf(await store.getServicesByName('svc%'))).toEqual(['svc%:p3']);
    expect(await store.getService('svc_a:p_')).toBeUndefined();
  },

  'getAllServices returns every pod': async (store, inspect) => {
    const pods = [...makePods('http-gw', 2), ...makePods('eir', 3)];
    for (const pod of pods) await store.saveService(pod);
    const all = await store.getAllServices();
    expect(keysOf(all)).toEqual(keysOf(pods));
    for (const pod of pods) expect(all.find((s) => keyOf(s) === keyOf(pod))).toEqual(pod);
    await expectPersistedKeys(inspect, pods.map(keyOf));
  },

  'reads of missing things resolve to undefined or []': async (store) => {
    expect(await store.getService('nope:nope')).toBeUndefined();
    expect(await store.getServicesByName('nope')).toEqual([]);
    expect(await store.getAllServices()).toEqual([]);
    expect(await store.getSubscribers('nope')).toEqual([]);
    expect(await store.getSubscriberServices('nope')).toEqual([]);
    await store.saveService(makeService());
    expect(await store.getService('http-gw:other')).toBeUndefined();
    expect(await store.getService('other:http-gw-1')).toBeUndefined();
    expect(await store.getServicesByName('other')).toEqual([]);
  },

  'deleteService removes the pod and reports true, leaving other pods alone': async (store, inspect) => {
    const [a, b] = makePods('http-gw', 2) as [ReturnType<typeof makeService>, ReturnType<typeof makeService>];
    const c = makeService({ serviceName: 'eir', podName: 'eir-1' });
    for (const pod of [a, b, c]) await store.saveService(pod);
    expect(await store.deleteService(keyOf(a))).toBe(true);
    expect(await store.getService(keyOf(a))).toBeUndefined();
    expect(keysOf(await store.getServicesByName('http-gw'))).toEqual([keyOf(b)]);
    expect(keysOf(await store.getAllServices())).toEqual(keysOf([b, c]));
    expect((await store.stats()).services).toBe(2);
    await expectPersistedKeys(inspect, [keyOf(b), keyOf(c)]);
  },

  'deleteService of a missing key resolves false without throwing': async (store, inspect) => {
    expect(await store.deleteService('nope:nope')).toBe(false);
    const pod = makeService();
    await store.saveService(pod);
    expect(await store.deleteService(keyOf(pod))).toBe(true);
    expect(await store.deleteService(keyOf(pod))).toBe(false);
    expect(await store.getAllServices()).toEqual([]);
    await expectPersistedKeys(inspect, []);
  },

  'deleting the last pod of a service empties getServicesByName': async (store) => {
    const pod = makeService();
    await store.saveService(pod);
    await store.deleteService(keyOf(pod));
    expect(await store.getServicesByName(pod.serviceName)).toEqual([]);
    await store.saveService(pod);
    expect(await store.getServicesByName(pod.serviceName)).toEqual([pod]);
  },

  'saveService rejects a malformed record with a typed error and keeps the stored one': async (store, inspect) => {
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    for (const [what, bad] of malformedServices({ ...pod, subscriptions: ['diam-gw'] })) {
      await expectTypedRejection(() => store.saveService(bad), `saveService with ${what}`);
      expect(await store.getService(keyOf(pod)), `after saveService with ${what}`).toEqual(pod);
    }
    for (const [what, bad] of malformedServices(makeService({ podName: 'fresh' }))) {
      await expectTypedRejection(() => store.saveService(bad), `saveService of a new pod with ${what}`);
    }
    expect(await store.getAllServices()).toEqual([pod]);
    expect(await store.getSubscribers('diam-gw')).toEqual([]);
    expect(await store.getSubscribers('eir')).toEqual([keyOf(pod)]);
    await expectPersistedKeys(inspect, [keyOf(pod)]);
  },

  'updateHealthStatus sets status and lastHealthCheck only': async (store) => {
    const pod = makeService({ status: 'unknown', subscriptions: ['eir'] });
    const other = makeService({ podName: 'http-gw-2' });
    await store.saveService(pod);
    await store.saveService(other);
    const at = new Date('2026-07-08T09:10:11.987Z');
    expect(await store.updateHealthStatus(keyOf(pod), 'healthy', at)).toBe(true);
    expect(await store.getService(keyOf(pod))).toEqual({ ...pod, status: 'healthy', lastHealthCheck: at });
    expect(await store.getService(keyOf(other))).toEqual(other);
    const later = new Date('2026-07-08T09:10:41.001Z');
    expect(await store.updateHealthStatus(keyOf(pod), 'unhealthy', later)).toBe(true);
    expect(await store.getService(keyOf(pod))).toEqual({ ...pod, status: 'unhealthy', lastHealthCheck: later });
  },

  'updateHealthStatus of a missing key resolves false and creates nothing': async (store, inspect) => {
    expect(await store.updateHealthStatus('nope:nope', 'healthy', new Date())).toBe(false);
    expect(await store.getService('nope:nope')).toBeUndefined();
    expect(await store.getAllServices()).toEqual([]);
    expect((await store.stats()).services).toBe(0);
    await expectPersistedKeys(inspect, []);
  },
};

/** Defines the `services` block of the conformance suite. */
export function describeServices(ctx: ConformanceContext): void {
  describeChecks(ctx, 'services: CRUD, upsert, not found', serviceChecks);
}
