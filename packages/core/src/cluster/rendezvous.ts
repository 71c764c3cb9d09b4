/**
 * Rendezvous (highest random weight) hashing: every replica computes the same owner for every
 * key from the same member list, and when a member joins or leaves only the keys it gains or
 * loses move (about 1/N of them), never the rest.
 */

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The 32-bit finalizer of MurmurHash3: spreads every input bit over the whole word. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One member list, with each member's seed computed once. */
export class Rendezvous {
  /** Member ids, sorted (ties between equal weights go to the smaller id). */
  readonly members: readonly string[];
  readonly #seeds: number[];
  readonly #set: ReadonlySet<string>;

  constructor(members: Iterable<string>) {
    this.members = [...new Set(members)].sort();
    this.#seeds = this.members.map((id) => fmix32(hashString(id)));
    this.#set = new Set(this.members);
  }

  has(member: string): boolean {
    return this.#set.has(member);
  }

  /** The member that owns `key`, or `undefined` when there are no members. */
  ownerOf(key: string): string | undefined {
    const members = this.members;
    if (members.length === 0) return undefined;
    if (members.length === 1) return members[0];
    const k = hashString(key);
    let best = 0;
    let bestWeight = -1;
    for (let i = 0; i < members.length; i++) {
      const weight = fmix32(k ^ this.#seeds[i]!);
      if (weight > bestWeight) {
        bestWeight = weight;
        best = i;
      }
    }
    return members[best];
  }

  /** Same members (order does not matter). */
  equals(other: Rendezvous): boolean {
    if (other.members.length !== this.members.length) return false;
    return this.members.every((id, i) => other.members[i] === id);
  }
}
