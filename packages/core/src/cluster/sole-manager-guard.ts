import type { StoreMembership } from '../coordination';
import { ClusterError } from '../errors';
import type { Logger } from '../manager/logger';
import { MembershipLoop } from './membership-loop';

/**
 * For a store with membership but no change feed (MongoDB): exactly one manager may run on it.
 * The manager joins like a cluster member and keeps its lease; a second manager that finds a
 * live member is refused at `start()` with a `ClusterError` naming the one that runs, instead
 * of silently splitting the registry in two.
 */
export class SoleManagerGuard {
  readonly #loop: MembershipLoop;
  readonly #storeName: string;

  constructor(membership: StoreMembership, storeName: string, leaseMs: number, logger: Logger) {
    this.#storeName = storeName;
    this.#loop = new MembershipLoop({ membership, leaseMs, logger, onMembers: () => undefined, onLost: () => undefined });
  }

  /** @throws ClusterError when another manager holds a live lease on the store. */
  async start(): Promise<void> {
    await this.#loop.start();
    const self = this.#loop.id;
    // The join already returned the live members: no second round trip.
    const others = (this.#loop.lastView?.members ?? []).filter((member) => member.id !== self);
    if (others.length === 0) return;
    await this.#loop.stop();
    const who = others.map((m) => `${m.info} (member ${m.id}, lease until ${m.leaseExpiresAt.toISOString()})`).join(', ');
    throw new ClusterError(
      `another manager is already running on this ${this.#storeName} store: ${who}. This store cannot share a ` +
        'registry between managers (it has no change feed); run one manager, or use PostgreSQL or MySQL for several',
    );
  }

  /** Whether the lease is held (for `/health`). */
  valid(): boolean {
    return this.#loop.valid();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
