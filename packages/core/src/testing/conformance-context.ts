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

/** What a running test offers the suite: a way to mark itself skipped. */
export interface ConformanceTestContext {
  /** Marks the running test skipped (vitest also ends it at once; node:test lets it return). */
  skip(note?: string): void;
}

/**
 * The two functions the suite needs from the caller's test runner, called as
 * `describe(name, { skip }, body)` and `it(name, { timeout }, body)`. The suite never imports a
 * runner: pass `{ describe, it }` imported from `vitest` (3 or 4) or `node:test` as they are,
 * or wrap any other runner in these two functions.
 */
export interface ConformanceRunner {
  describe(name: string, options: { skip?: boolean }, body: () => void): unknown;
  it(name: string, options: { timeout?: number }, body: (context: ConformanceTestContext) => Promise<void>): unknown;
}

/** How an adapter's test file hands its store to `runStoreConformance`. */
export interface StoreConformanceOptions {
  /** A fresh, EMPTY, open store for one test (called at the start of every test). */
  create(): Promise<RegistryStore>;
  /** Cleanup after each test; the store may already be closed. Default: store.close(). */
  destroy?(store: RegistryStore): Promise<void>;
  /** Raw reads through the driver, not the adapter, to check persisted state (optional). */
  inspect?: StoreInspector;
  /** When set, the whole suite is skipped with this reason (already printed loudly). */
  skip?: string;
  /** Time limit of each test, creating and destroying its store included (default 10 s). */
  timeoutMs?: number;
}

/**
 * One conformance check: a plain async function that resolves when the store behaves and
 * rejects (an `AssertionError` from `node:assert`) when it does not. The store passed in is
 * fresh and empty. Being plain functions, checks can also be run by hand against any store,
 * e.g. to prove the suite catches a deliberately broken one.
 */
export type StoreCheck = (store: RegistryStore, inspect?: StoreInspector) => Promise<void>;

/** A group of checks, keyed by the behaviour each one pins down (used as the test name). */
export type StoreChecks = Readonly<Record<string, StoreCheck>>;

/** What every concern's `describe…` function receives from `runStoreConformance`. */
export interface ConformanceContext {
  runner: ConformanceRunner;
  storeName: string;
  timeoutMs: number;
  inspect?: StoreInspector;
  /** A fresh, empty store for one test. */
  create(): Promise<RegistryStore>;
  /** Releases a test's store, even when the test closed it itself. */
  destroy(store: RegistryStore): Promise<void>;
}

/**
 * Defines one `describe` block with one `it` per check; each test creates its own store and
 * destroys it afterwards. `unsupported` may return a reason to skip a check for a store that
 * lacks an optional feature (e.g. `applyBatch`).
 */
export function describeChecks(
  ctx: ConformanceContext,
  title: string,
  checks: StoreChecks,
  unsupported?: (store: RegistryStore) => string | undefined,
): void {
  ctx.runner.describe(title, {}, () => {
    for (const [name, check] of Object.entries(checks)) {
      ctx.runner.it(name, { timeout: ctx.timeoutMs }, async (test) => {
        const store = await ctx.create();
        try {
          const reason = unsupported?.(store);
          if (reason !== undefined) {
            test.skip(reason);
            return;
          }
          await check(store, ctx.inspect);
        } finally {
          await ctx.destroy(store);
        }
      });
    }
  });
}
