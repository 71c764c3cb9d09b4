import { PROTOCOLS, SERVICE_STATUSES, keyOf, type Provider } from '../model';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { makeService, makeUnicodeService } from './fixtures';

/** Values come back exactly as they were saved. */
export const roundtripChecks: StoreChecks = {
  'unicode names, URLs and subscriptions round-trip': async (store) => {
    const pod = makeUnicodeService();
    await store.saveService(pod);
    deepEqual(await store.getService(keyOf(pod)), pod);
    deepEqual(await store.getServicesByName('сервис-ü-日本-😀'), [pod]);
    deepEqual(await store.getSubscribers('サービス'), [keyOf(pod)]);
    deepEqual(await store.getSubscriberServices('🙂-group'), [pod]);
    deepEqual(await store.getServicesByName('сервис-u-日本-😀'), []);
  },

  'quotes, backslashes and SQL-looking text are stored as plain text': async (store) => {
    const pod = makeService({
      serviceName: `it's-"quoted"`,
      podName: `pod\\1'); DROP TABLE services; --`,
      subscriptions: [`o'brien`, 'a"b', 'back\\slash', '{"json":true}'],
    });
    await store.saveService(pod);
    deepEqual(await store.getService(keyOf(pod)), pod);
    deepEqual(await store.getSubscribers(`o'brien`), [keyOf(pod)]);
    deepEqual(await store.getSubscribers('{"json":true}'), [keyOf(pod)]);
    strictEqual((await store.stats()).services, 1);
  },

  'names differing only in case or accents are distinct keys and groups': async (store, inspect) => {
    const names = ['eir', 'EIR', 'Eir', 'eír'];
    const pods = names.map((name, i) =>
      makeService({ serviceName: name, podName: `${name}-pod`, subscriptions: [names[(i + 1) % names.length]!] }),
    );
    for (const pod of pods) await store.saveService(pod);
    strictEqual((await store.stats()).services, names.length);
    for (const [i, name] of names.entries()) {
      deepEqual(await store.getService(keyOf(pods[i]!)), pods[i]);
      deepEqual(await store.getServicesByName(name), [pods[i]]);
      deepEqual(await store.getSubscribers(name), [keyOf(pods[(i + names.length - 1) % names.length]!)]);
    }
    strictEqual(await store.deleteService('EIR:EIR-pod'), true);
    deepEqual(await store.getService('eir:eir-pod'), pods[0]);
    strictEqual(await store.getService('EIR:eir-pod'), undefined);
    if (inspect !== undefined) strictEqual((await inspect.serviceKeys()).length, names.length - 1);
  },

  'a TTL pod (heartbeats, empty health URL) keeps its ttl; a probed pod has none': async (store) => {
    const ttlPod = makeService({ podName: 'ttl-pod', healthCheckUrl: '', ttl: 15_000 });
    const probed = makeService({ podName: 'probed-pod' });
    await store.saveService(ttlPod);
    await store.saveService(probed);
    deepEqual(await store.getService(keyOf(ttlPod)), ttlPod);
    strictEqual((await store.getService(keyOf(ttlPod)))?.ttl, 15_000);
    strictEqual('ttl' in (await store.getService(keyOf(probed)))!, false);
    const group = await store.getServicesByName(ttlPod.serviceName);
    strictEqual(group.length, 2);
    deepEqual(group.find((p) => p.podName === 'ttl-pod'), ttlPod);
    const { ttl: _dropped, ...withoutTtl } = ttlPod;
    await store.saveService({ ...withoutTtl, healthCheckUrl: 'http://10.0.0.1:8080/health' });
    strictEqual('ttl' in (await store.getService(keyOf(ttlPod)))!, false);
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
    deepEqual(got!.providers, providers);
    deepEqual(got, pod);
    deepEqual(await store.getServicesByName(pod.serviceName), [pod]);
  },

  'empty provider and subscription lists round-trip as []': async (store) => {
    const pod = makeService({ providers: [], subscriptions: [] });
    await store.saveService(pod);
    const got = await store.getService(keyOf(pod));
    deepEqual(got!.providers, []);
    deepEqual(got!.subscriptions, []);
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
      strictEqual(got!.lastHealthCheck.toISOString(), last);
      strictEqual(got!.registeredAt.toISOString(), registered);
      strictEqual(got!.updatedAt.toISOString(), updated);
    }
    const at = new Date('2026-02-03T04:05:06.007Z');
    await store.updateHealthStatus('http-gw:ts-0', 'healthy', at);
    strictEqual((await store.getService('http-gw:ts-0'))!.lastHealthCheck.toISOString(), at.toISOString());
  },

  'every status value round-trips': async (store) => {
    for (const status of SERVICE_STATUSES) {
      const pod = makeService({ podName: `status-${status}`, status });
      await store.saveService(pod);
      strictEqual((await store.getService(keyOf(pod)))!.status, status);
    }
    for (const status of SERVICE_STATUSES) {
      await store.updateHealthStatus('http-gw:status-unknown', status, new Date('2026-02-03T04:05:06.007Z'));
      strictEqual((await store.getService('http-gw:status-unknown'))!.status, status);
    }
  },
};

/** Defines the `round-trip` block of the conformance suite. */
export function describeRoundtrip(ctx: ConformanceContext): void {
  describeChecks(ctx, 'round-trip: unicode, 64 providers, ms timestamps', roundtripChecks);
}
