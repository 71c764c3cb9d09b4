import {
  StoreError,
  ValidationError,
  type ClusterMember,
  type FieldError,
  type MembershipView,
  type StoreCallOptions,
  type StoreMembership,
  type StoreOperation,
} from '@governance/core';
import type { Collection, Document, Filter } from 'mongodb';

/** The members collection's name before `collectionPrefix` is prepended. */
export const MONGO_MEMBERS_COLLECTION = 'governance_members';

/** A lease: `_id` is the member id; both times are the server's (`$$NOW`). */
export interface MemberDocument {
  _id: string;
  info: string;
  joined_at: Date;
  lease_expires_at: Date;
}

/** Rows lapsed longer ago than this are deleted when someone joins. */
const HOUSEKEEPING_MS = 3_600_000;
const MAX_LEASE_MS = 2_147_483_647;

const lapsed = { $expr: { $lte: ['$lease_expires_at', '$$NOW'] } };
const live = { $expr: { $gt: ['$lease_expires_at', '$$NOW'] } };

/**
 * The filters and update pipelines of membership, as plain documents. Every time in them is the
 * server's `$$NOW` (MongoDB 4.2+): none carries a time of this process.
 */
export const membershipStatements = {
  /** Members lapsed for over an hour (deleted on join). */
  longLapsed: (): Filter<MemberDocument> => ({ $expr: { $lt: ['$lease_expires_at', { $subtract: ['$$NOW', HOUSEKEEPING_MS] }] } }),
  /** `id` with a lapsed lease: an upsert on it inserts a new member, takes over a lapsed one, and collides with a live one. */
  joinable: (id: string): Filter<MemberDocument> => ({ _id: id, ...lapsed }),
  join: (leaseMs: number, info: string): Document[] => [
    { $set: { info: { $literal: info }, joined_at: '$$NOW', lease_expires_at: { $add: ['$$NOW', leaseMs] } } },
  ],
  /** `id` while its lease has not lapsed: renewing can never revive a lapsed lease. */
  renewable: (id: string): Filter<MemberDocument> => ({ _id: id, ...live }),
  renew: (leaseMs: number): Document[] => [{ $set: { lease_expires_at: { $add: ['$$NOW', leaseMs] } } }],
  /** One document `{ live: [...], now }` even when nobody is live. */
  view: (): Document[] => [{ $facet: { live: [{ $match: live }, { $sort: { _id: 1 } }] } }, { $project: { live: 1, now: '$$NOW' } }],
};

/** How the store runs a call: connect, wrap failures in `StoreError` naming `operation`. */
type Run = <T>(operation: StoreOperation, options: StoreCallOptions | undefined, fn: () => Promise<T>) => Promise<T>;

/**
 * Membership leases in the `governance_members` collection (`StoreMembership`), timed by the
 * server's clock. The MongoDB store has no change feed, so this lets a manager refuse to start
 * while another one holds a live lease instead of silently splitting the registry.
 */
export class MongoMembership implements StoreMembership {
  readonly #members: Collection<MemberDocument>;
  readonly #run: Run;

  constructor(members: Collection<MemberDocument>, run: Run) {
    this.#members = members;
    this.#run = run;
  }

  async join(id: string, leaseMs: number, info: string, options?: StoreCallOptions): Promise<MembershipView> {
    checkArguments('join', id, { leaseMs, info });
    return this.#run('join', options, async () => {
      await this.#members.deleteMany(membershipStatements.longLapsed());
      try {
        await this.#members.updateOne(membershipStatements.joinable(id), membershipStatements.join(leaseMs, info), { upsert: true });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 11000) throw error;
        throw new StoreError('store-mongodb', 'join', `member "${id}" already holds a live lease; join with a new id`, { cause: error });
      }
      return this.#view(options);
    });
  }

  async renew(id: string, leaseMs: number, options?: StoreCallOptions): Promise<MembershipView | undefined> {
    checkArguments('renew', id, { leaseMs });
    return this.#run('renew', options, async () => {
      const { matchedCount } = await this.#members.updateOne(membershipStatements.renewable(id), membershipStatements.renew(leaseMs));
      if (matchedCount === 0) return undefined;
      const view = await this.#view(options);
      return view.members.some((m) => m.id === id) ? view : undefined;
    });
  }

  async leave(id: string, options?: StoreCallOptions): Promise<void> {
    checkArguments('leave', id, {});
    await this.#run('leave', options, () => this.#members.deleteOne({ _id: id }));
  }

  async members(options?: StoreCallOptions): Promise<MembershipView> {
    return this.#run('members', options, () => this.#view(options));
  }

  async #view(options: StoreCallOptions | undefined): Promise<MembershipView> {
    const [doc] = await this.#members.aggregate<{ live: MemberDocument[]; now: Date }>(membershipStatements.view(), { signal: options?.signal }).toArray();
    if (doc === undefined) throw new Error('the membership view returned no document');
    const members = doc.live.map(
      (m): ClusterMember => ({ id: m._id, info: m.info, joinedAt: new Date(m.joined_at), leaseExpiresAt: new Date(m.lease_expires_at) }),
    );
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { members, now: new Date(doc.now) };
  }
}

/** Refuses bad arguments before anything reaches the server. */
function checkArguments(call: string, id: unknown, more: { leaseMs?: unknown; info?: unknown }): void {
  const errors: FieldError[] = [];
  if (typeof id !== 'string' || id.length === 0 || id.length > 255) errors.push({ path: 'id', message: 'must be a non-empty string of at most 255 characters' });
  const { leaseMs, info } = more;
  if ('leaseMs' in more && (typeof leaseMs !== 'number' || !Number.isSafeInteger(leaseMs) || leaseMs < 1 || leaseMs > MAX_LEASE_MS)) {
    errors.push({ path: 'leaseMs', message: `must be an integer from 1 to ${MAX_LEASE_MS}` });
  }
  if ('info' in more && (typeof info !== 'string' || info.length > 512)) errors.push({ path: 'info', message: 'must be a string of at most 512 characters' });
  if (errors.length > 0) throw new ValidationError(errors, { context: `${call} arguments`, package: 'store-mongodb' });
}
