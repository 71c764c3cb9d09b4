import { Rendezvous } from './rendezvous';

/**
 * Who owns which key (pods to probe, subscribers to deliver to) in this replica's eyes: the
 * rendezvous owner over the live members, while this replica's lease is valid.
 *
 * When the member list changes, keys this replica loses are released at once. Keys it gains
 * are taken at once when their previous owner is gone, but only after `graceMs` when the
 * previous owner is still live — long enough for that owner to see the new list at its next
 * renewal and release them first, so two replicas never both own a key.
 */
export class Ownership {
  readonly #graceMs: number;
  readonly #valid: () => boolean;
  #self: string | undefined;
  #current = new Rendezvous([]);
  #previous: Rendezvous | undefined;
  #graceUntil = 0;

  /**
   * @param graceMs how long a key whose previous owner is live waits before it is taken.
   * @param valid whether this replica's lease can be trusted now (checked on every question).
   */
  constructor(graceMs: number, valid: () => boolean) {
    this.#graceMs = graceMs;
    this.#valid = valid;
  }

  get self(): string | undefined {
    return this.#self;
  }

  get members(): readonly string[] {
    return this.#current.members;
  }

  /** When the hand-over grace of the last change ends (`performance.now()` time; 0 when none). */
  get graceUntil(): number {
    return this.#graceUntil;
  }

  /** Takes a new member list; returns false when nothing changed. */
  update(self: string, members: Iterable<string>): boolean {
    const next = new Rendezvous(members);
    if (self === this.#self && next.equals(this.#current)) return false;
    // After a (re)join the keys were owned by the others (or nobody): compare with them.
    this.#previous = self === this.#self ? this.#current : new Rendezvous(next.members.filter((id) => id !== self));
    this.#self = self;
    this.#current = next;
    this.#graceUntil = performance.now() + this.#graceMs;
    return true;
  }

  /** Forgets the member list (the lease was lost): nothing is owned until `update`. */
  reset(): void {
    this.#self = undefined;
    this.#current = new Rendezvous([]);
    this.#previous = undefined;
    this.#graceUntil = 0;
  }

  /** Whether this replica owns `key` now. */
  owns(key: string): boolean {
    const self = this.#self;
    if (self === undefined || this.#current.ownerOf(key) !== self || !this.#valid()) return false;
    if (this.#previous === undefined || performance.now() >= this.#graceUntil) return true;
    const before = this.#previous.ownerOf(key);
    return before === undefined || before === self || !this.#current.has(before);
  }
}
