import { afterEach, beforeEach, describe } from 'vitest';
import type { RegistryStore } from '../store';
import { describeBatch } from './batch';
import { describeConcurrency } from './concurrency';
import type { ConformanceContext, StoreConformanceOptions } from './conformance-context';
import { describeCopies } from './copies';
import { describeLifecycle } from './lifecycle';
import { describeRoundtrip } from './roundtrip';
import { describeServices } from './services';
import { describeSubscriptions } from './subscriptions';

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Runs the shared `RegistryStore` conformance suite against one adapter. Call it at the top
 * level of the adapter's own vitest file, then add the adapter's specific cases below it:
 *
 * ```ts
 * runStoreConformance('PostgresStore', {
 *   create: async () => PostgresStore.create({ … }),   // fresh and EMPTY for every test
 *   inspect: { serviceKeys, subscriptionPairs },       // raw driver reads (optional)
 *   skip,                                              // from checkTestServer(…)
 * });
 * ```
 *
 * Every test gets a new store from `create` and hands it to `destroy` (default `close()`)
 * afterwards, even when the test closed it itself. Where `inspect` is given, persisted state is
 * checked through it as well. The checks are exported per concern (`serviceChecks`,
 * `copyChecks`, …) as plain `(store, inspect?) => Promise<void>` functions.
 */
export function runStoreConformance(storeName: string, options: StoreConformanceOptions): void {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let current: RegistryStore | undefined;
  const ctx: ConformanceContext = {
    storeName,
    timeoutMs,
    inspect: options.inspect,
    store() {
      if (current === undefined) throw new Error(`[testing] ${storeName}: create() did not provide a store`);
      return current;
    },
  };

  describe.skipIf(!!options.skip)(`${storeName} conformance`, () => {
    beforeEach(async () => {
      current = await options.create();
    }, timeoutMs);

    afterEach(async () => {
      const store = current;
      current = undefined;
      if (store === undefined) return;
      if (options.destroy !== undefined) await options.destroy(store);
      else await store.close();
    }, timeoutMs);

    describeServices(ctx);
    describeCopies(ctx);
    describeSubscriptions(ctx);
    describeConcurrency(ctx);
    describeLifecycle(ctx);
    describeBatch(ctx);
    describeRoundtrip(ctx);
  });
}
