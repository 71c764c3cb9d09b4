import type { RegistryChange } from '@governance/core';
import type { PendingChange } from './sql-dialect';

/**
 * The pods one transaction really changed, one entry per pod, in the order they were first
 * changed. A pod changed several times keeps its last kind, except that a status transition
 * after a save in the same transaction stays a `save` (the saved record already carries it).
 */
export class ChangeSet {
  readonly #byKey = new Map<string, PendingChange>();

  add(key: string, group: string, kind: RegistryChange['kind']): void {
    const previous = this.#byKey.get(key);
    if (previous?.kind === 'save' && kind === 'health') return;
    this.#byKey.set(key, { key, group, kind });
  }

  get size(): number {
    return this.#byKey.size;
  }

  entries(): PendingChange[] {
    return [...this.#byKey.values()];
  }

  /** The entries as logged, numbered in order so that the last one is `lastSeq`. */
  numbered(lastSeq: number): RegistryChange[] {
    let seq = lastSeq - this.#byKey.size;
    return this.entries().map(({ key, group, kind }) => ({ seq: ++seq, key, group, kind }));
  }
}
