import { describe, it } from 'vitest';
import type { RegistryStore } from '../store';

/**
 * Raw reads through the database driver (not through the adapter under test), so the suite can
 * check what was really persisted. Optional: stores without a separate driver leave it out.
 */
export interface StoreInspector {
  /** Every `service_key` persisted, in any order. */
  serviceKeys(): Promise<string[]>;
  /** Every persisted (subscriber key, service group) pair, in any order. */
  subscriptionPairs(): Promise<Array<[subscriberKey: string, serviceGroup: string]>>;
}

/** How an adapter's test file hands its store to `runStoreConformance`. */
export interface StoreConformanceOptions {
  /** A fresh, EMPTY, open store for one test (the suite calls it in beforeEach). */
  create(): Promise<RegistryStore>;
  /** Cleanup after each test; the store may already be closed. Default: store.close(). */
  destroy?(store: RegistryStore): Promise<void>;
  /** Raw reads through the driver, not the adapter, to check persisted state (optional). */
  inspect?: StoreInspector;
  /** When set, the whole suite is skipped with this reason (already printed loudly). */
  skip?: string;
  /** Per-test timeout for slow stores (default 10 s). */
  timeoutMs?: number;
}

/**
 * One conformance check: a plain async function that resolves when the store behaves and
 * rejects (an `expect` failure) when it does not. The store passed in is fresh and empty.
 * Being plain functions, checks can also be run by hand against any store, e.g. to prove the
 * suite catches a deliberately broken one.
 */
export type StoreCheck = (store: RegistryStore, inspect?: StoreInspector) => Promise<void>;

/** A group of checks, keyed by the behaviour each one pins down (used as the test name). */
export type StoreChecks = Readonly<Record<string, StoreCheck>>;

/** What every concern's `describe…` function receives from `runStoreConformance`. */
export interface ConformanceContext {
  storeName: string;
  timeoutMs: number;
  inspect?: StoreInspector;
  /** The store created for the running test. */
  store(): RegistryStore;
}

/**
 * Defines one `describe` block with one `it` per check. `unsupported` may return a reason to
 * skip a check for a store that lacks an optional feature (e.g. `applyBatch`).
 */
export function describeChecks(
  ctx: ConformanceContext,
  title: string,
  checks: StoreChecks,
  unsupported?: (store: RegistryStore) => string | undefined,
): void {
  describe(title, () => {
    for (const [name, check] of Object.entries(checks)) {
      it(
        name,
        async (test) => {
          const store = ctx.store();
          const reason = unsupported?.(store);
          if (reason !== undefined) test.skip(reason);
          await check(store, ctx.inspect);
        },
        ctx.timeoutMs,
      );
    }
  });
}
