import { WatchLimitError } from '../errors';
import type { EventType, WatchEvent, WatchListener } from '../model';

export type { WatchEvent, WatchListener } from '../model';

/**
 * The registry of pull-mode watchers (SSE streams, blocking queries): who watches which group.
 * The engine publishes every change of a group here, from the same place that notifies push
 * subscribers, so it works alike in single and cluster mode (every replica applies every change).
 * The payload is built lazily, once per change, and only when the group has watchers.
 *
 * Concurrency: everything runs on the event loop; a listener is called synchronously from the
 * publisher and must only record the event (never block or throw).
 */
export class GroupWatchers {
  readonly #byGroup = new Map<string, Set<WatchListener>>();
  readonly #limit: number;
  /** The `onEnd` of every watcher registered now, with its removal. */
  readonly #ends = new Map<() => void, (() => void) | undefined>();

  /** @param limit most watchers at once; beyond it `add` throws `WatchLimitError`. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Watchers registered now. */
  get size(): number {
    return this.#ends.size;
  }

  /** Most watchers at once (`maxWatchers`). */
  get limit(): number {
    return this.#limit;
  }

  /** True when someone watches `group`. */
  has(group: string): boolean {
    return this.#byGroup.has(group);
  }

  /**
   * Registers `listener` for `groups`. Returns the function that removes it (idempotent).
   * @param onEnd called once if the registry ends every watcher (`endAll`, the manager stops).
   * @throws WatchLimitError when `limit` watchers are registered already.
   */
  add(groups: readonly string[], listener: WatchListener, onEnd?: () => void): () => void {
    if (this.#ends.size >= this.#limit) throw new WatchLimitError(this.#limit);
    for (const group of groups) {
      let set = this.#byGroup.get(group);
      if (set === undefined) this.#byGroup.set(group, (set = new Set()));
      set.add(listener);
    }
    let removed = false;
    const remove = (): void => {
      if (removed) return;
      removed = true;
      this.#ends.delete(remove);
      for (const group of groups) {
        const set = this.#byGroup.get(group);
        if (set === undefined) continue;
        set.delete(listener);
        if (set.size === 0) this.#byGroup.delete(group);
      }
    };
    this.#ends.set(remove, onEnd);
    return remove;
  }

  /** Removes every watcher and calls its `onEnd` (the manager stops). */
  endAll(): void {
    for (const [remove, onEnd] of [...this.#ends]) {
      remove();
      onEnd?.();
    }
  }

  /** Tells every watcher of `group` about its new state; `build` serializes the payload (called at most once). */
  publish(group: string, revision: number, eventType: EventType, build: () => Buffer): void {
    const set = this.#byGroup.get(group);
    if (set === undefined) return;
    const event: WatchEvent = { group, revision, eventType, data: build() };
    for (const listener of [...set]) listener(event);
  }
}
