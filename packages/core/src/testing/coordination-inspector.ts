import type { RegistryChange, StoreChangeFeed, StoreMembership } from '../coordination';
import type { RegistryStore } from '../store';

/** A lock held on a separate raw connection until `release()` ends its transaction. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Raw access to a coordinating store's database for the change-feed and membership checks:
 * reads through the driver (never the adapter under test), locks held on a connection of its own
 * to provoke the interleavings that break naive change logs, and a second store instance on the
 * same tables. Every member is optional; a check that needs a missing one is skipped.
 */
export interface CoordinationInspector {
  /** Every change-log entry, oldest first, read through the raw driver. */
  logEntries?(): Promise<RegistryChange[]>;
  /** The database clock (`select now()` through the raw driver). */
  databaseNow?(): Promise<Date>;
  /**
   * Begins a transaction on a raw connection and locks the existing record of pod `key`, so a
   * write of that pod waits **before** it reaches the log.
   */
  lockPod?(key: string): Promise<HeldLock>;
  /**
   * Begins a transaction on a raw connection and locks what a logged write of `group` needs
   * **after** it took its log position (e.g. the group's revision row, which must exist), so
   * that writer holds its numbers while it waits.
   */
  lockGroup?(group: string): Promise<HeldLock>;
  /** How many sessions of this test's database are waiting for a lock right now. */
  lockWaiters?(): Promise<number>;
  /** Opens another store on the same tables (its own connections); the check closes it. */
  openPeer?(): Promise<RegistryStore>;
  /** Terminates the connections the store listens on for hints (`watch`); resolves how many. */
  killListeners?(): Promise<number>;
}

/** Options `runStoreConformance` accepts for stores with coordination capabilities. */
export interface CoordinationConformanceOptions {
  /** Raw access for the change-feed and membership checks (optional; checks needing it are skipped). */
  coordination?: CoordinationInspector;
}

/**
 * One coordination check: a plain async function, like `StoreCheck`, that rejects (an
 * `AssertionError` from `node:assert`) when the store misbehaves. `inspect` is the coordination
 * inspector, not the record inspector.
 */
export type CoordinationCheck = (store: RegistryStore, inspect?: CoordinationInspector) => Promise<void>;

/** Coordination checks keyed by the behaviour each one pins down (used as the test name). */
export type CoordinationChecks = Readonly<Record<string, CoordinationCheck>>;

/** The store's change feed, or a clear failure for a store without one. */
export function feedOf(store: RegistryStore): StoreChangeFeed {
  if (store.changeFeed === undefined) throw new Error(`[testing] ${store.name} has no changeFeed; this check needs one`);
  return store.changeFeed;
}

/** The store's membership, or a clear failure for a store without one. */
export function membershipOf(store: RegistryStore): StoreMembership {
  if (store.membership === undefined) throw new Error(`[testing] ${store.name} has no membership; this check needs one`);
  return store.membership;
}

/** The inspector member a check needs, or a clear failure when it was not given. */
export function need<K extends keyof CoordinationInspector>(inspect: CoordinationInspector | undefined, member: K): NonNullable<CoordinationInspector[K]> {
  const found = inspect?.[member];
  if (found === undefined) throw new Error(`[testing] this check needs the coordination inspector's ${member}()`);
  return (found as (...args: never[]) => unknown).bind(inspect) as NonNullable<CoordinationInspector[K]>;
}

/**
 * Polls `condition` every 20 ms until it returns a truthy value, which it resolves with; rejects
 * naming `what` after `timeoutMs`. For waiting on other connections and on the database clock,
 * never to assert how fast something is.
 */
export async function until<T>(condition: () => Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`[testing] gave up after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A short random tag so rows of one check never meet rows of another on a shared database. */
export function uniqueTag(): string {
  return Math.random().toString(36).slice(2, 10);
}
