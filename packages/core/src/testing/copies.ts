import { expect } from 'vitest';
import { cloneService, keyOf, type ServiceInfo } from '../model';
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
    expect(await store.getService(keyOf(expected))).toEqual(expected);
    expect(await store.getSubscribers('scribbled')).toEqual([]);
  },

  'mutating a getService result does not change the store': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const first = await store.getService(keyOf(pod));
    scribble(first!);
    expect(await store.getService(keyOf(pod))).toEqual(pod);
  },

  'two reads return distinct objects': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const a = await store.getService(keyOf(pod));
    const b = await store.getService(keyOf(pod));
    expect(a).not.toBe(b);
    expect(a!.providers).not.toBe(b!.providers);
    expect(a!.providers[0]).not.toBe(b!.providers[0]);
    expect(a!.subscriptions).not.toBe(b!.subscriptions);
    expect(a!.lastHealthCheck).not.toBe(b!.lastHealthCheck);
    expect(a).not.toBe(pod);
    expect(a!.providers).not.toBe(pod.providers);
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
    expect(await store.getServicesByName(pod.serviceName)).toEqual([pod]);
    expect(await store.getAllServices()).toEqual([pod]);
  },

  'mutating getSubscribers and getSubscriberServices results does not change the store': async (store) => {
    const pod = subscribedPod();
    await store.saveService(pod);
    const subscribers = await store.getSubscribers('diam-gw');
    subscribers.push('intruder:pod');
    subscribers[0] = 'changed:pod';
    const services = await store.getSubscriberServices('diam-gw');
    scribble(services[0]!);
    expect(await store.getSubscribers('diam-gw')).toEqual([keyOf(pod)]);
    expect(await store.getSubscriberServices('diam-gw')).toEqual([pod]);
  },

  'mutating the Date passed to updateHealthStatus does not change the store': async (store) => {
    const pod = makeService();
    await store.saveService(pod);
    const at = new Date('2026-08-09T10:11:12.131Z');
    await store.updateHealthStatus(keyOf(pod), 'healthy', at);
    at.setTime(0);
    expect((await store.getService(keyOf(pod)))!.lastHealthCheck.toISOString()).toBe('2026-08-09T10:11:12.131Z');
  },
};

/** Defines the `copies` block of the conformance suite. */
export function describeCopies(ctx: ConformanceContext): void {
  describeChecks(ctx, 'copies: reads and saved inputs are never shared', copyChecks);
}
