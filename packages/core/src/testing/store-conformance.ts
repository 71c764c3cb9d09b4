import type { RegistryStore } from '../store';
import { describeBatch } from './batch';
import { changeFeedArgumentChecks, changeFeedChecks } from './change-feed';
import { changeFeedRaceChecks } from './change-feed-races';
import { changeFeedWatchChecks } from './change-feed-watch';
import type { CoordinationChecks, CoordinationConformanceOptions, CoordinationInspector } from './coordination-inspector';
import { describeConcurrency } from './concurrency';
import {
  describeChecks,
  type ConformanceContext,
  type ConformanceRunner,
  type StoreChecks,
  type StoreConformanceOptions,
} from './conformance-context';
import { describeCopies } from './copies';
import { describeLifecycle } from './lifecycle';
import { membershipChecks } from './membership';
import { describeRoundtrip } from './roundtrip';
import { describeServices } from './services';
import { describeSubscriptions } from './subscriptions';

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs the shared `RegistryStore` conformance suite against one adapter, under the caller's
 * test runner. Call it at the top level of the adapter's own test file, then add the adapter's
 * specific cases below it:
 *
 * ```ts
 * import { describe, it } from 'vitest'; // or 'node:test'
 *
 * runStoreConformance({ describe, it }, 'PostgresStore', {
 *   create: async () => new PostgresStore({ … }),   // fresh and EMPTY for every test
 *   inspect: { serviceKeys, subscriptionPairs },    // raw driver reads (optional)
 *   skip,                                           // from checkTestServer(…)
 * });
 * ```
 *
 * Every test gets a new store from `create` and hands it to `destroy` (default `close()`)
 * afterwards, even when the test closed it itself. Where `inspect` is given, persisted state is
 * checked through it as well. Assertions use `node:assert`, so no runner's `expect` is needed.
 * The checks are exported per concern (`serviceChecks`, `copyChecks`, …) as plain
 * `(store, inspect?) => Promise<void>` functions.
 *
 * Stores with coordination capabilities (`changeFeed`, `membership`) also run the
 * change-feed, race, watch and membership checks; pass `coordination` (raw locks, a peer store)
 * so the checks that provoke races can run. Checks a store cannot run are skipped, with a reason.
 */
export function runStoreConformance(
  runner: ConformanceRunner,
  storeName: string,
  options: StoreConformanceOptions & CoordinationConformanceOptions,
): void {
  if (typeof runner?.describe !== 'function' || typeof runner.it !== 'function') {
    throw new TypeError(
      "[testing] runStoreConformance(runner, storeName, options): pass your test runner's { describe, it } first, " +
        "e.g. import { describe, it } from 'vitest' or from 'node:test'",
    );
  }
  if (typeof options?.create !== 'function') {
    throw new TypeError(`[testing] runStoreConformance: options.create must be a function returning a fresh, empty ${storeName}`);
  }
  const ctx: ConformanceContext = {
    runner,
    storeName,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    inspect: options.inspect,
    async create() {
      const store = await options.create();
      if (store === undefined || store === null) throw new Error(`[testing] ${storeName}: create() did not provide a store`);
      return store;
    },
    async destroy(store: RegistryStore) {
      if (options.destroy !== undefined) await options.destroy(store);
      else await store.close();
    },
  };

  runner.describe(`${storeName} conformance`, { skip: Boolean(options.skip) }, () => {
    describeServices(ctx);
    describeCopies(ctx);
    describeSubscriptions(ctx);
    describeConcurrency(ctx);
    describeLifecycle(ctx);
    describeBatch(ctx);
    describeRoundtrip(ctx);
    describeCoordination(ctx, options.coordination);
  });
}
/** The coordination checks, each block skipped for stores without the capability it checks. */
function describeCoordination(ctx: ConformanceContext, inspect: CoordinationInspector | undefined): void {
  const bind = (checks: CoordinationChecks): StoreChecks =>
    Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, (store) => check(store, inspect)]));
  const missing = (members: Array<keyof CoordinationInspector>) => {
    const absent = members.filter((m) => inspect?.[m] === undefined);
    return absent.length === 0 ? undefined : `needs the coordination inspector's ${absent.join(', ')}`;
  };
  const noFeed = (store: RegistryStore) => (store.changeFeed === undefined ? `${store.name} has no changeFeed (optional)` : undefined);
  describeChecks(ctx, 'changeFeed: what is logged, reading, pruning, snapshots', bind({ ...changeFeedChecks, ...changeFeedArgumentChecks }), noFeed);
  describeChecks(ctx, 'changeFeed: racing writers, out-of-order commits', bind(changeFeedRaceChecks), (store) =>
    noFeed(store) ?? missing(['lockPod', 'lockGroup', 'lockWaiters', 'openPeer']),
  );
  describeChecks(ctx, 'changeFeed.watch: wake-up hints', bind(changeFeedWatchChecks), (store) =>
    store.changeFeed?.watch === undefined ? `${store.name} has no changeFeed.watch (optional: poll only)` : missing(['openPeer', 'killListeners']),
  );
  describeChecks(ctx, 'membership: leases on the database clock', bind(membershipChecks), (store) =>
    store.membership === undefined ? `${store.name} has no membership (optional)` : undefined,
  );
}

