import { keyOf } from '../model';
import { deepEqual, strictEqual } from './assertions';
import { describeChecks, type ConformanceContext, type StoreChecks } from './conformance-context';
import { keysOf, makePods, makeService, pairStrings, sorted } from './fixtures';

/** How many calls each concurrency check issues at once. */
export const CONCURRENT_CALLS = 500;

/** Calls issued all at once lose nothing and leave no half-applied state. */
export const concurrencyChecks: StoreChecks = {
  [`${CONCURRENT_CALLS} concurrent saves of distinct pods lose nothing`]: async (store, inspect) => {
    const pods = makePods('http-gw', CONCURRENT_CALLS, { subscriptions: ['eir'] });
    await Promise.all(pods.map((pod) => store.saveService(pod)));
    deepEqual(keysOf(await store.getAllServices()), keysOf(pods));
    deepEqual(keysOf(await store.getServicesByName('http-gw')), keysOf(pods));
    deepEqual(sorted(await store.getSubscribers('eir')), keysOf(pods));
    deepEqual(await store.stats(), { services: CONCURRENT_CALLS, subscriptions: CONCURRENT_CALLS });
    if (inspect !== undefined) {
      deepEqual(sorted(await inspect.serviceKeys()), keysOf(pods));
      strictEqual((await inspect.subscriptionPairs()).length, CONCURRENT_CALLS);
    }
  },

  [`${CONCURRENT_CALLS} concurrent subscription changes lose nothing`]: async (store, inspect) => {
    const groups = ['http-gw', 'diam-gw', 'eir', 'smf', 'upf'];
    const pairs: Array<[string, string]> = Array.from({ length: CONCURRENT_CALLS }, (_, i) => [
      `sub:sub-${Math.floor(i / groups.length)}`,
      groups[i % groups.length]!,
    ]);
    await Promise.all(pairs.map(([subscriber, group]) => store.addSubscription(subscriber, group)));
    const seen: Array<[string, string]> = [];
    for (const group of groups) for (const s of await store.getSubscribers(group)) seen.push([s, group]);
    deepEqual(pairStrings(seen), pairStrings(pairs));
    strictEqual((await store.stats()).subscriptions, CONCURRENT_CALLS);
    if (inspect !== undefined) deepEqual(pairStrings(await inspect.subscriptionPairs()), pairStrings(pairs));

    // Remove every other pair while re-adding the rest (idempotent) at the same time.
    await Promise.all(
      pairs.map(([subscriber, group], i) =>
        i % 2 === 0 ? store.removeSubscription(subscriber, group) : store.addSubscription(subscriber, group),
      ),
    );
    const kept = pairs.filter((_, i) => i % 2 === 1);
    const after: Array<[string, string]> = [];
    for (const group of groups) for (const s of await store.getSubscribers(group)) after.push([s, group]);
    deepEqual(pairStrings(after), pairStrings(kept));
    strictEqual((await store.stats()).subscriptions, kept.length);
  },

  [`${CONCURRENT_CALLS} mixed concurrent calls on distinct pods each apply atomically`]: async (store) => {
    const pods = makePods('eir', CONCURRENT_CALLS, { subscriptions: ['http-gw'] });
    await Promise.all(pods.slice(0, CONCURRENT_CALLS / 2).map((pod) => store.saveService(pod)));
    const at = new Date('2026-09-10T11:12:13.141Z');
    const results = await Promise.all(
      pods.map((pod, i) => {
        if (i >= CONCURRENT_CALLS / 2) return store.saveService(pod).then(() => true);
        return i % 2 === 0 ? store.deleteService(keyOf(pod)) : store.updateHealthStatus(keyOf(pod), 'healthy', at);
      }),
    );
    strictEqual(results.every((r) => r === true), true);
    const expected = pods.filter((_, i) => i >= CONCURRENT_CALLS / 2 || i % 2 === 1);
    const all = await store.getAllServices();
    deepEqual(keysOf(all), keysOf(expected));
    deepEqual(sorted(await store.getSubscribers('http-gw')), keysOf(expected));
    const healthy = all.filter((s) => s.status === 'healthy');
    deepEqual(keysOf(healthy), keysOf(pods.filter((_, i) => i < CONCURRENT_CALLS / 2 && i % 2 === 1)));
    for (const s of healthy) strictEqual(s.lastHealthCheck.getTime(), at.getTime());
  },

  [`${CONCURRENT_CALLS} concurrent saves of one key leave exactly one whole record`]: async (store, inspect) => {
    const versions = Array.from({ length: CONCURRENT_CALLS }, (_, i) =>
      makeService({
        providers: [{ protocol: 'http', ip: '10.2.0.1', port: 20_000 + i }],
        subscriptions: [`group-${i % 7}`],
      }),
    );
    await Promise.all(versions.map((v) => store.saveService(v)));
    const all = await store.getAllServices();
    strictEqual(all.length, 1);
    const winner = versions.find((v) => v.providers[0]!.port === all[0]!.providers[0]!.port);
    deepEqual(all[0], winner);
    // The index matches the winning record: never a mix of two versions.
    const groups = Array.from({ length: 7 }, (_, i) => `group-${i}`);
    const indexed: string[] = [];
    for (const g of groups) if ((await store.getSubscribers(g)).includes(keyOf(winner!))) indexed.push(g);
    deepEqual(indexed, winner!.subscriptions);
    deepEqual(await store.stats(), { services: 1, subscriptions: 1 });
    if (inspect !== undefined) deepEqual(await inspect.serviceKeys(), [keyOf(winner!)]);
  },
};

/** Defines the `concurrency` block of the conformance suite. */
export function describeConcurrency(ctx: ConformanceContext): void {
  describeChecks(ctx, `concurrency: ${CONCURRENT_CALLS} calls at once`, concurrencyChecks);
}
