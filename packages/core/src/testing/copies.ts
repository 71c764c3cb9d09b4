import assert from 'node:assert/strict';
import { cloneService, keyOf, type ServiceInfo } from '../model';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { makeService } from './fixtures';

/** Every in-place change a caller might make to a record: scalars, arrays, nested providers and dates. */
const MUTATIONS: ReadonlyArray<(service: ServiceInfo) => unknown> = [
  (s) => {
    s.serviceName = 'scribbled';
  },
  (s) => {
    s.status = 'unhealthy';
  },
  (s) => {
    s.healthCheckUrl = 'http://scribbled/';
  },
  (s) => {
    s.providers[0]!.port = 1;
  },
  (s) => {
    s.providers[0]!.ip = '0.0.0.0';
  },
  (s) => s.providers.push({ protocol: 'udp', ip: '9.9.9.9', port: 9 }),
  (s) => s.subscriptions.push('scribbled'),
  (s) => s.lastHealthCheck.setTime(0),
  (s) => s.registeredAt.setTime(0),
  (s) => s.updatedAt.setTime(0),
];

/** Mutates every part of a caller's own record in place. */
function scribble(service: ServiceInfo): void {
  for (const mutate of MUTATIONS) mutate(service);
}

/**
 * Tries every in-place change on a record a store returned. Returned records may be copies
 * (each change succeeds, and the store must not see it) or deeply frozen (each change throws a
 * `TypeError`, as writes to frozen objects do in strict mode). Any other error fails here; a
 * shared part that is not frozen lets its change through, which the caller's next read catches.
 */
function tryToScribble(service: ServiceInfo): void {
  for (const mutate of MUTATIONS) {
    try {
      mutate(service);
    } catch (error) {
      assert.ok(error instanceof TypeError, `a returned record refused a change with something other than a TypeError: ${String(error)}`);
    }
  }
}

/** Passes when `a` and `b` are distinct objects, or one shared object that cannot be changed. */
function sharedOnlyIfFrozen(a: object, b: object, what: string): void {
  if (a !== b) return;
  assert.ok(Object.isFrozen(a), `${what} is shared between two reads, so it must be frozen`);
  if (a instanceof Date) {
    // Object.freeze does not stop Date setters: a shared Date must refuse them itself.
    const time = a.getTime();
    assert.throws(() => a.setTime(time + 1), TypeError, `${what} is a shared Date, so setTime must throw`);
    assert.equal(a.getTime(), time);
  }
}

function subscribedPod(): ServiceInfo {
  return makeService({ subscriptions: ['diam-gw'] });
}

/** Returned objects are copies or deeply frozen; saved inputs are copied. */
export const copyChecks: StoreChecks = {
  'mutating the object passed to saveService does not change the store': async (store) => {
    const pod = subscribedPod();
    const expected = cloneService(pod);
    await store.saveService(pod);
    scribble(pod);
    deepEqual(await store.getService(keyOf(expected)), expected);
    deepEqual(await store.getSubscribers('scribbled'), []);
  },

  'mutating a getService result does not change the store': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const first = await store.getService(keyOf(pod));
    tryToScribble(first!);
    deepEqual(await store.getService(keyOf(pod)), pod);
  },

  'two reads share no mutable object, and never the saved one': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const a = (await store.getService(keyOf(pod)))!;
    const b = (await store.getService(keyOf(pod)))!;
    sharedOnlyIfFrozen(a, b, 'the record');
    sharedOnlyIfFrozen(a.providers, b.providers, 'providers');
    sharedOnlyIfFrozen(a.providers[0]!, b.providers[0]!, 'providers[0]');
    sharedOnlyIfFrozen(a.subscriptions, b.subscriptions, 'subscriptions');
    for (const field of ['lastHealthCheck', 'registeredAt', 'updatedAt'] as const) {
      sharedOnlyIfFrozen(a[field], b[field], field);
    }
    assert.notEqual(a, pod);
    assert.notEqual(a.providers, pod.providers);
    assert.notEqual(a.lastHealthCheck, pod.lastHealthCheck);
  },

  'mutating getServicesByName and getAllServices results does not change the store': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const byName = await store.getServicesByName(pod.serviceName);
    tryToScribble(byName[0]!);
    byName.length = 0;
    const all = await store.getAllServices();
    tryToScribble(all[0]!);
    all.push(makeService({ podName: 'intruder' }));
    deepEqual(await store.getServicesByName(pod.serviceName), [pod]);
    deepEqual(await store.getAllServices(), [pod]);
  },

  'mutating getSubscribers and getSubscriberServices results does not change the store': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const subscribers = await store.getSubscribers('diam-gw');
    subscribers.push('intruder:pod');
    subscribers[0] = 'changed:pod';
    const services = await store.getSubscriberServices('diam-gw');
    tryToScribble(services[0]!);
    deepEqual(await store.getSubscribers('diam-gw'), [keyOf(pod)]);
    deepEqual(await store.getSubscriberServices('diam-gw'), [pod]);
  },

  'mutating the Date passed to updateHealthStatus does not change the store': async (store) => {
    const pod = makeService();
    await store.saveService(pod);
    const at = new Date('2026-08-09T10:11:12.131Z');
    await store.updateHealthStatus(keyOf(pod), 'healthy', at);
    at.setTime(0);
    strictEqual((await store.getService(keyOf(pod)))!.lastHealthCheck.toISOString(), '2026-08-09T10:11:12.131Z');
  },
};

/** Defines the `copies` block of the conformance suite. */
export function describeCopies(ctx: ConformanceContext): void {
  describeChecks(ctx, 'copies: reads are copies or deeply frozen, saved inputs are copied', copyChecks);
}
