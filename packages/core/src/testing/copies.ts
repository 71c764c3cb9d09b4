import assert from 'node:assert/strict';
import { cloneService, keyOf, type ServiceInfo } from '../model';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { makeService } from './fixtures';

/** Mutates every part of a record in place: scalars, arrays, nested providers and dates. */
function scribble(service: ServiceInfo): void {
  service.serviceName = 'scribbled';
  service.status = 'unhealthy';
  service.healthCheckUrl = 'http://scribbled/';
  service.providers[0]!.port = 1;
  service.providers[0]!.ip = '0.0.0.0';
  service.providers.push({ protocol: 'udp', ip: '9.9.9.9', port: 9 });
  service.subscriptions.push('scribbled');
  service.lastHealthCheck.setTime(0);
  service.registeredAt.setTime(0);
  service.updatedAt.setTime(0);
}

function subscribedPod(): ServiceInfo {
  return makeService({ subscriptions: ['diam-gw'] });
}

/** Returned objects are copies; saved inputs are copied too. */
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
    scribble(first!);
    deepEqual(await store.getService(keyOf(pod)), pod);
  },

  'two reads return distinct objects': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const a = await store.getService(keyOf(pod));
    const b = await store.getService(keyOf(pod));
    assert.notEqual(a, b);
    assert.notEqual(a!.providers, b!.providers);
    assert.notEqual(a!.providers[0], b!.providers[0]);
    assert.notEqual(a!.subscriptions, b!.subscriptions);
    assert.notEqual(a!.lastHealthCheck, b!.lastHealthCheck);
    assert.notEqual(a, pod);
    assert.notEqual(a!.providers, pod.providers);
  },

  'mutating getServicesByName and getAllServices results does not change the store': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const byName = await store.getServicesByName(pod.serviceName);
    scribble(byName[0]!);
    byName.length = 0;
    const all = await store.getAllServices();
    scribble(all[0]!);
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
    scribble(services[0]!);
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
  describeChecks(ctx, 'copies: reads and saved inputs are never shared', copyChecks);
}
