import assert from 'node:assert/strict';
import type { MembershipView, StoreMembership } from '../coordination';
import { membershipOf, uniqueTag, until, type CoordinationChecks, type CoordinationInspector } from './coordination-inspector';
import { expectStoreError, expectTypedRejection } from './fixtures';

const DAY_MS = 86_400_000;

/** Ids of one check, all sharing a random tag, so members left by other checks never interfere. */
function idsFor(count: number): string[] {
  const tag = uniqueTag();
  return Array.from({ length: count }, (_, i) => `m-${tag}-${i}`);
}

/** The ids of `view` that belong to this check. */
function mine(view: MembershipView | undefined, ids: readonly string[]): string[] {
  return (view?.members ?? []).map((m) => m.id).filter((id) => ids.includes(id));
}

/** Runs `call` while `Date.now()` of this process is `skewMs` off, and restores it. */
async function withSkewedProcessClock<T>(skewMs: number, call: () => Promise<T>): Promise<T> {
  const realNow = Date.now;
  Date.now = () => realNow() + skewMs;
  try {
    return await call();
  } finally {
    Date.now = realNow;
  }
}

/** The view's clock is the database's: close to a raw read of it, or (without one) to the real clock, far from a skewed one. */
async function expectDatabaseClock(view: MembershipView, inspect: CoordinationInspector | undefined, what: string): Promise<void> {
  const reference = inspect?.databaseNow === undefined ? new Date() : await inspect.databaseNow();
  const off = Math.abs(view.now.getTime() - reference.getTime());
  assert.ok(off < 60_000, `${what}: the view's now (${view.now.toISOString()}) is the database clock (${reference.toISOString()}), not the skewed process clock`);
}

async function leaveAll(membership: StoreMembership, ids: readonly string[]): Promise<void> {
  for (const id of ids) await membership.leave(id);
}

/**
 * Membership by leases (`membership`), timed by the database clock. The process clock is skewed
 * by a day in either direction while leases are taken and renewed: a store that computed or
 * compared lease times with `Date.now()` would then see its own members lapse (or live forever).
 */
export const membershipChecks: CoordinationChecks = {
  'leases are computed by the database clock, not the process clock': async (store, inspect) => {
    const membership = membershipOf(store);
    const [early, late] = idsFor(2);
    try {
      for (const [id, skew] of [
        [early!, -DAY_MS],
        [late!, DAY_MS],
      ] as const) {
        const joined = await withSkewedProcessClock(skew, () => membership.join(id, 30_000, `skewed ${skew}`));
        await expectDatabaseClock(joined, inspect, `join with the process clock ${skew} ms off`);
        const me = joined.members.find((m) => m.id === id);
        assert.ok(me !== undefined, `${id} is live right after join`);
        const left = me.leaseExpiresAt.getTime() - joined.now.getTime();
        assert.ok(left > 0 && left <= 30_000, `lease ends within 30 s of the database's now (${left} ms)`);
        assert.ok(me.joinedAt.getTime() <= joined.now.getTime());
        assert.equal(me.info, `skewed ${skew}`);
        const renewed = await withSkewedProcessClock(-skew, () => membership.renew(id, 30_000));
        assert.ok(renewed !== undefined, `${id} renews with the process clock ${-skew} ms off`);
        await expectDatabaseClock(renewed, inspect, 'renew');
      }
      assert.deepStrictEqual(mine(await membership.members(), [early!, late!]), [early!, late!].sort());
    } finally {
      await leaveAll(membership, [early!, late!]);
    }
  },

  'a lease lapses by the database clock and a lapsed lease cannot be renewed': async (store) => {
    const membership = membershipOf(store);
    const [short, long] = idsFor(2);
    try {
      const joined = await membership.join(short!, 1_000, 'short');
      await membership.join(long!, 60_000, 'long');
      const expires = joined.members.find((m) => m.id === short)!.leaseExpiresAt;
      const lapsed = await until(async () => {
        const view = await membership.members();
        return mine(view, [short!]).length === 0 ? view : undefined;
      }, 'the 1 s lease to lapse', 15_000);
      assert.ok(lapsed.now.getTime() >= expires.getTime(), 'it is gone only once the database clock passed its lease');
      assert.deepStrictEqual(mine(lapsed, [short!, long!]), [long!], 'the other member is still live');
      assert.equal(await membership.renew(short!, 60_000), undefined, 'renewing a lapsed lease is refused');
      assert.deepStrictEqual(mine(await membership.members(), [short!]), [], 'and did not revive it');
    } finally {
      await leaveAll(membership, [short!, long!]);
    }
  },

  'two members see each other; leave removes one at once': async (store) => {
    const membership = membershipOf(store);
    const [a, b] = idsFor(2);
    try {
      await membership.join(a!, 30_000, 'host-a pid 1');
      const viewB = await membership.join(b!, 30_000, 'host-b pid 2');
      assert.deepStrictEqual(mine(viewB, [a!, b!]), [a!, b!], 'the joining member sees the other, ordered by id');
      const ids = viewB.members.map((m) => m.id);
      assert.deepStrictEqual(ids, [...ids].sort(), 'members are ordered by id');
      assert.deepStrictEqual(mine(await membership.renew(a!, 30_000), [a!, b!]), [a!, b!], 'a renewal returns the live members');
      await membership.leave(b!);
      await membership.leave(b!);
      assert.deepStrictEqual(mine(await membership.members(), [a!, b!]), [a!], 'leave is immediate and idempotent');
      assert.equal(await membership.renew(b!, 30_000), undefined, 'a member that left cannot renew');
      assert.equal(await membership.renew('never-joined-' + a!, 30_000), undefined, 'nor can an unknown id');
    } finally {
      await leaveAll(membership, [a!, b!]);
    }
  },

  'joining with an id that is live fails; bad arguments are typed errors': async (store) => {
    const membership = membershipOf(store);
    const [id] = idsFor(1);
    try {
      await membership.join(id!, 30_000, 'first');
      await expectStoreError(() => membership.join(id!, 30_000, 'second'), 'join with a live id');
      assert.equal((await membership.members()).members.find((m) => m.id === id)?.info, 'first', 'the live member is unchanged');
      for (const leaseMs of [0, -1, 1.5, Number.NaN]) {
        await expectTypedRejection(() => membership.join(`${id}-x`, leaseMs, ''), `join with leaseMs ${leaseMs}`);
        await expectTypedRejection(() => membership.renew(id!, leaseMs), `renew with leaseMs ${leaseMs}`);
      }
      await expectTypedRejection(() => membership.join('', 30_000, ''), 'join with an empty id');
      await expectTypedRejection(() => membership.join(`${id}-y`, 30_000, 'x'.repeat(513)), 'join with info over 512 characters');
      assert.deepStrictEqual(mine(await membership.members(), [`${id}-x`, `${id}-y`]), [], 'no rejected join left a member');
    } finally {
      await leaveAll(membership, [id!]);
    }
  },
};
