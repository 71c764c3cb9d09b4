import { StoreError, ValidationError, type RegistryStore } from '@governance/core';
import { MongoStore } from '@governance/store-mongodb';
import { BSON } from 'mongodb';
import { createServer } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { membershipStatements } from '../src/mongo-membership';

// No MongoDB server here: the statements are checked as the real driver encodes them (BSON), and
// the calls against a real TCP port nobody listens on. Behaviour against a server is NOT verified.

/** Every value in a statement, depth first. */
function* values(node: unknown): Generator<unknown> {
  yield node;
  if (Array.isArray(node)) for (const item of node) yield* values(item);
  else if (node !== null && typeof node === 'object' && !(node instanceof Date)) for (const v of Object.values(node)) yield* values(v);
}

const statements = [
  ['longLapsed', membershipStatements.longLapsed()],
  ['joinable', membershipStatements.joinable('m-1')],
  ['join', membershipStatements.join(5_000, 'host-a pid 7')],
  ['renewable', membershipStatements.renewable('m-1')],
  ['renew', membershipStatements.renew(5_000)],
  ['view', membershipStatements.view()],
] as const;

describe('membership statements', () => {
  it('compute every time with the server clock ($$NOW) and carry no time of this process', () => {
    for (const [name, statement] of statements) {
      const all = [...values(statement)];
      expect(all.some((v) => v instanceof Date), name).toBe(false);
      expect(all.includes('$$NOW'), `${name} uses $$NOW`).toBe(true);
    }
  });

  it('survive BSON encoding unchanged (what the driver sends)', () => {
    for (const [name, statement] of statements) {
      const wrapped = { statement };
      expect(BSON.deserialize(BSON.serialize(wrapped)), name).toEqual(wrapped);
    }
  });

  it('a join sets the lease from $$NOW, takes info literally, and only matches a lapsed lease of that id', () => {
    expect(membershipStatements.join(2_500, '$not-a-field')).toEqual([
      { $set: { info: { $literal: '$not-a-field' }, joined_at: '$$NOW', lease_expires_at: { $add: ['$$NOW', 2_500] } } },
    ]);
    expect(membershipStatements.joinable('m-1')).toEqual({ _id: 'm-1', $expr: { $lte: ['$lease_expires_at', '$$NOW'] } });
    expect(membershipStatements.renewable('m-1')).toEqual({ _id: 'm-1', $expr: { $gt: ['$lease_expires_at', '$$NOW'] } });
  });

  it('the view always yields one document, with the live members by id and the server clock', () => {
    expect(membershipStatements.view()).toEqual([
      { $facet: { live: [{ $match: { $expr: { $gt: ['$lease_expires_at', '$$NOW'] } } }, { $sort: { _id: 1 } }] } },
      { $project: { live: 1, now: '$$NOW' } },
    ]);
  });
});

describe('MongoStore membership with the server down', () => {
  let closedPort: number;
  const opened: MongoStore[] = [];
  beforeAll(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closedPort = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  const downStore = () => {
    const store = new MongoStore({ uri: `mongodb://127.0.0.1:${closedPort}/governance`, serverSelectionTimeoutMs: 300, connectTimeoutMs: 300, minPoolSize: 0 });
    opened.push(store);
    return store;
  };
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );

  it('has membership but no change feed: one manager per MongoDB registry', () => {
    const store = downStore();
    expect(store.membership).toBeDefined();
    expect((store as RegistryStore).changeFeed).toBeUndefined();
    expect(store.collectionNames.members).toBe('governance_members');
  });

  it('every membership call rejects with a StoreError naming its operation (not transient: the driver already waited for the server)', async () => {
    const m = downStore().membership;
    const calls: Array<[string, Promise<unknown>]> = [
      ['join', m.join('m-1', 5_000, 'info')],
      ['renew', m.renew('m-1', 5_000)],
      ['leave', m.leave('m-1')],
      ['members', m.members()],
    ];
    for (const [operation, call] of calls) {
      const error = await failure(call);
      expect(error, operation).toBeInstanceOf(StoreError);
      expect((error as StoreError).operation).toBe(operation);
      expect((error as StoreError).transient).toBe(false);
      expect((error as Error).message).toMatch(new RegExp(`^\\[store-mongodb\\] ${operation} failed: cannot reach MongoDB`));
    }
  });

  it('bad arguments are a ValidationError naming the package, before contacting the server', async () => {
    const store = downStore();
    let opening = 0;
    store.client.on('topologyOpening', () => opening++);
    for (const call of [
      store.membership.join('', 5_000, ''),
      store.membership.join('m-1', 0, ''),
      store.membership.join('m-1', 5_000, 'x'.repeat(513)),
      store.membership.renew('m-1', 1.5),
      store.membership.renew('m-1', undefined as never),
      store.membership.leave(42 as never),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(/^\[store-mongodb\] invalid (join|renew|leave) arguments: (id|leaseMs|info): /);
    }
    expect(opening).toBe(0);
  });
});
