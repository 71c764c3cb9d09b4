import assert from 'node:assert/strict';
import { keyOf } from '../model';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks, type StoreInspector } from './conformance-context';
import { expectTypedRejection, keysOf, makePods, makeService, malformedServices, sorted } from './fixtures';

async function expectPersistedKeys(inspect: StoreInspector | undefined, keys: string[]): Promise<void> {
  if (inspect === undefined) return;
  deepEqual(sorted(await inspect.serviceKeys()), sorted(keys), 'persisted service keys (raw read)');
}

/** CRUD, upsert and not-found behaviour of the pod records. */
export const serviceChecks: StoreChecks = {
  'saveService then getService returns an equal record': async (store, inspect) => {
    const pod = makeService({ subscriptions: ['diam-gw', 'eir'] });
    await store.saveService(pod);
    const got = await store.getService(keyOf(pod));
    deepEqual(got, pod);
    assert.ok(got!.lastHealthCheck instanceof Date, 'got!.lastHealthCheck is a Date');
    assert.ok(got!.registeredAt instanceof Date, 'got!.registeredAt is a Date');
    assert.ok(got!.updatedAt instanceof Date, 'got!.updatedAt is a Date');
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
    deepEqual(await store.getService(keyOf(first)), second);
    deepEqual(await store.getAllServices(), [second]);
    deepEqual(await store.getServicesByName(first.serviceName), [second]);
    strictEqual((await store.stats()).services, 1);
    await expectPersistedKeys(inspect, [keyOf(first)]);
  },

  'getServicesByName returns exactly the pods of that service': async (store) => {
    const gw = makePods('http-gw', 3);
    const diam = makePods('diam-gw', 2);
    for (const pod of [...gw, ...diam]) await store.saveService(pod);
    deepEqual(keysOf(await store.getServicesByName('http-gw')), keysOf(gw));
    deepEqual(keysOf(await store.getServicesByName('diam-gw')), keysOf(diam));
    deepEqual(await store.getServicesByName('http'), []);
    deepEqual(await store.getServicesByName('http-gw-0'), []);
  },

  'getServicesByName treats % and _ literally, not as patterns': async (store) => {
    await store.saveService(makeService({ serviceName: 'svcXa', podName: 'p1' }));
    await store.saveService(makeService({ serviceName: 'svc_a', podName: 'p2' }));
    await store.saveService(makeService({ serviceName: 'svc%', podName: 'p3' }));
    deepEqual(keysOf(await store.getServicesByName('svc_a')), ['svc_a:p2']);
    deepEqual(keysOf(await store.getServicesByName('svc%')), ['svc%:p3']);
    strictEqual(await store.getService('svc_a:p_'), undefined);
  },

  'getAllServices returns every pod': async (store, inspect) => {
    const pods = [...makePods('http-gw', 2), ...makePods('eir', 3)];
    for (const pod of pods) await store.saveService(pod);
    const all = await store.getAllServices();
    deepEqual(keysOf(all), keysOf(pods));
    for (const pod of pods) deepEqual(all.find((s) => keyOf(s) === keyOf(pod)), pod);
    await expectPersistedKeys(inspect, pods.map(keyOf));
  },

  'reads of missing things resolve to undefined or []': async (store) => {
    strictEqual(await store.getService('nope:nope'), undefined);
    deepEqual(await store.getServicesByName('nope'), []);
    deepEqual(await store.getAllServices(), []);
    deepEqual(await store.getSubscribers('nope'), []);
    deepEqual(await store.getSubscriberServices('nope'), []);
    await store.saveService(makeService());
    strictEqual(await store.getService('http-gw:other'), undefined);
    strictEqual(await store.getService('other:http-gw-1'), undefined);
    deepEqual(await store.getServicesByName('other'), []);
  },

  'deleteService removes the pod and reports true, leaving other pods alone': async (store, inspect) => {
    const [a, b] = makePods('http-gw', 2) as [ReturnType<typeof makeService>, ReturnType<typeof makeService>];
    const c = makeService({ serviceName: 'eir', podName: 'eir-1' });
    for (const pod of [a, b, c]) await store.saveService(pod);
    strictEqual(await store.deleteService(keyOf(a)), true);
    strictEqual(await store.getService(keyOf(a)), undefined);
    deepEqual(keysOf(await store.getServicesByName('http-gw')), [keyOf(b)]);
    deepEqual(keysOf(await store.getAllServices()), keysOf([b, c]));
    strictEqual((await store.stats()).services, 2);
    await expectPersistedKeys(inspect, [keyOf(b), keyOf(c)]);
  },

  'deleteService of a missing key resolves false without throwing': async (store, inspect) => {
    strictEqual(await store.deleteService('nope:nope'), false);
    const pod = makeService();
    await store.saveService(pod);
    strictEqual(await store.deleteService(keyOf(pod)), true);
    strictEqual(await store.deleteService(keyOf(pod)), false);
    deepEqual(await store.getAllServices(), []);
    await expectPersistedKeys(inspect, []);
  },

  'deleting the last pod of a service empties getServicesByName': async (store) => {
    const pod = makeService();
    await store.saveService(pod);
    await store.deleteService(keyOf(pod));
    deepEqual(await store.getServicesByName(pod.serviceName), []);
    await store.saveService(pod);
    deepEqual(await store.getServicesByName(pod.serviceName), [pod]);
  },

  'saveService rejects a malformed record with a typed error and keeps the stored one': async (store, inspect) => {
    const pod = makeService({ subscriptions: ['eir'] });
    await store.saveService(pod);
    for (const [what, bad] of malformedServices({ ...pod, subscriptions: ['diam-gw'] })) {
      await expectTypedRejection(() => store.saveService(bad), `saveService with ${what}`);
      deepEqual(await store.getService(keyOf(pod)), pod, `after saveService with ${what}`);
    }
    for (const [what, bad] of malformedServices(makeService({ podName: 'fresh' }))) {
      await expectTypedRejection(() => store.saveService(bad), `saveService of a new pod with ${what}`);
    }
    deepEqual(await store.getAllServices(), [pod]);
    deepEqual(await store.getSubscribers('diam-gw'), []);
    deepEqual(await store.getSubscribers('eir'), [keyOf(pod)]);
    await expectPersistedKeys(inspect, [keyOf(pod)]);
  },

  'updateHealthStatus sets status and lastHealthCheck only': async (store) => {
    const pod = makeService({ status: 'unknown', subscriptions: ['eir'] });
    const other = makeService({ podName: 'http-gw-2' });
    await store.saveService(pod);
    await store.saveService(other);
    const at = new Date('2026-07-08T09:10:11.987Z');
    strictEqual(await store.updateHealthStatus(keyOf(pod), 'healthy', at), true);
    deepEqual(await store.getService(keyOf(pod)), { ...pod, status: 'healthy', lastHealthCheck: at });
    deepEqual(await store.getService(keyOf(other)), other);
    const later = new Date('2026-07-08T09:10:41.001Z');
    strictEqual(await store.updateHealthStatus(keyOf(pod), 'unhealthy', later), true);
    deepEqual(await store.getService(keyOf(pod)), { ...pod, status: 'unhealthy', lastHealthCheck: later });
  },

  'updateHealthStatus of a missing key resolves false and creates nothing': async (store, inspect) => {
    strictEqual(await store.updateHealthStatus('nope:nope', 'healthy', new Date()), false);
    strictEqual(await store.getService('nope:nope'), undefined);
    deepEqual(await store.getAllServices(), []);
    strictEqual((await store.stats()).services, 0);
    await expectPersistedKeys(inspect, []);
  },
};

/** Defines the `services` block of the conformance suite. */
export function describeServices(ctx: ConformanceContext): void {
  describeChecks(ctx, 'services: CRUD, upsert, not found', serviceChecks);
}
