import { expect } from 'vitest';
import { PROTOCOLS, SERVICE_STATUSES, keyOf, type Provider } from '../model';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { makeService, makeUnicodeService } from './fixtures';

/** Values come back exactly as they were saved. */
export const roundtripChecks: StoreChecks = {
  'unicode names, URLs and subscriptions round-trip': async (store) => {
    const pod = makeUnicodeService();
    await store.saveService(pod);
    expect(await store.getService(keyOf(pod))).toEqual(pod);
    expect(await store.getServicesByName('сервис-ü-日本-😀')).toEqual([pod]);
    expect(await store.getSubscribers('サービス')).toEqual([keyOf(pod)]);
    expect(await store.getSubscriberServices('🙂-group')).toEqual([pod]);
    expect(await store.getServicesByName('сервис-u-日本-😀')).toEqual([]);
  },

  'quotes, backslashes and SQL-looking text are stored as plain text': async (store) => {
    const pod = makeService({
      serviceName: `it's-"quoted"`,
      podName: `pod\\1'); DROP TABLE services; --`,
      subscriptions: [`o'brien`, 'a"b', 'back\\slash', '{"json":true}'],
    });
    await store.saveService(pod);
    expect(await store.getService(keyOf(pod))).toEqual(pod);
    expect(await store.getSubscribers(`o'brien`)).toEqual([keyOf(pod)]);
    expect(await store.getSubscribers('{"json":true}')).toEqual([keyOf(pod)]);
    expect((await store.stats()).services).toBe(1);
  },

  'names differing only in case or accents are distinct keys and groups': async (store, inspect) => {
    const names = ['eir', 'EIR', 'Eir', 'eír'];
    const pods = names.map((name, i) =>
      makeService({ serviceName: name, podName: `${name}-pod`, subscriptions: [names[(i + 1) % names.length]!] }),
    );
    for (const pod of pods) await store.saveService(pod);
    expect((await store.stats()).services).toBe(names.length);
    for (const [i, name] of names.entries()) {
      expect(await store.getService(keyOf(pods[i]!))).toEqual(pods[i]);
      expect(await store.getServicesByName(name)).toEqual([pods[i]]);
      expect(await store.getSubscribers(name)).toEqual([keyOf(pods[(i + names.length - 1) % names.length]!)]);
    }
    expect(await store.deleteService('EIR:EIR-pod')).toBe(true);
    expect(await store.getService('eir:eir-pod')).toEqual(pods[0]);
    expect(await store.getService('EIR:eir-pod')).toBeUndefined();
    if (inspect !== undefined) expect((await inspect.serviceKeys()).length).toBe(names.length - 1);
  },

  'a pod with 64 providers round-trips in order': async (store) => {
    const providers: Provider[] = Array.from({ length: 64 }, (_, i) => ({
      protocol: PROTOCOLS[i % PROTOCOLS.length]!,
      ip: i % 4 === 3 ? `fd00::${i.toString(16)}` : `10.3.${i}.${255 - i}`,
      port: i === 0 ? 1 : i === 63 ? 65_535 : 1000 + i * 997,
    }));
    const pod = makeService({ providers });
    await store.saveService(pod);
    const got = await store.getService(keyOf(pod));
    expect(got!.providers).toEqual(providers);
    expect(got).toEqual(pod);
    expect(await store.getServicesByName(pod.serviceName)).toEqual([pod]);
  },

  'empty provider and subscription lists round-trip as []': async (store) => {
    const pod = makeService({ providers: [], subscriptions: [] });
    await store.saveService(pod);
    const got = await store.getService(keyOf(pod));
    expect(got!.providers).toEqual([]);
    expect(got!.subscriptions).toEqual([]);
  },

  'timestamps round-trip to the millisecond': async (store) => {
    const cases = [
      ['2026-01-01T00:00:00.001Z', '2026-01-01T00:00:00.999Z', '2026-06-30T23:59:59.500Z'],
      ['1999-12-31T23:59:59.999Z', '2000-01-01T00:00:00.000Z', '2037-12-31T12:34:56.789Z'],
    ] as const;
    for (const [i, [last, registered, updated]] of cases.entries()) {
      const pod = makeService({
        podName: `ts-${i}`,
        lastHealthCheck: new Date(last),
        registeredAt: new Date(registered),
        updatedAt: new Date(updated),
      });
      await store.saveService(pod);
      const got = await store.getService(keyOf(pod));
      expect(got!.lastHealthCheck.toISOString()).toBe(last);
      expect(got!.registeredAt.toISOString()).toBe(registered);
      expect(got!.updatedAt.toISOString()).toBe(updated);
    }
    const at = new Date('2026-02-03T04:05:06.007Z');
    await store.updateHealthStatus('http-gw:ts-0', 'healthy', at);
    expect((await store.getService('http-gw:ts-0'))!.lastHealthCheck.toISOString()).toBe(at.toISOString());
  },

  'every status value round-trips': async (store) => {
    for (const status of SERVICE_STATUSES) {
      const pod = makeService({ podName: `status-${status}`, status });
      await store.saveService(pod);
      expect((await store.getService(keyOf(pod)))!.status).toBe(status);
    }
    for (const status of SERVICE_STATUSES) {
      await store.updateHealthStatus('http-gw:status-unknown', status, new Date('2026-02-03T04:05:06.007Z'));
      expect((await store.getService('http-gw:status-unknown'))!.status).toBe(status);
    }
  },
};

/** Defines the `round-trip` block of the conformance suite. */
export function describeRoundtrip(ctx: ConformanceContext): void {
  describeChecks(ctx, 'round-trip: unicode, 64 providers, ms timestamps', roundtripChecks);
}
