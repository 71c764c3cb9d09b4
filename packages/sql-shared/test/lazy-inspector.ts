import type { CoordinationInspector } from '@governance/core/testing';

/**
 * A coordination inspector whose members call `get()` when a check runs: the test database of a
 * file is created in `beforeAll`, after `runStoreConformance` received its options.
 */
export function lazyCoordination(get: () => CoordinationInspector, members: ReadonlyArray<keyof CoordinationInspector>): CoordinationInspector {
  const lazy: Record<string, (...args: never[]) => unknown> = {};
  for (const member of members) {
    lazy[member] = (...args: never[]) => (get()[member] as (...a: never[]) => unknown)(...args);
  }
  return lazy as CoordinationInspector;
}
