import { MONGO_INDEXES } from '../src/mongo-indexes';
import { subscriberServicesPipeline, supportsTransactions } from '../src/mongo-queries';
import { BSON, type IndexDescription } from 'mongodb';
import { describe, expect, it } from 'vitest';

describe('index specifications', () => {
  it('serve the store\'s lookups: services by name, subscriptions by group and by subscriber', () => {
    const leading = (indexes: readonly Readonly<IndexDescription>[]) => indexes.map((d) => Object.keys(d.key as Record<string, number>)[0]);
    // The filter the getSubscriberServices pipeline starts with, as the store builds it.
    const [match] = subscriberServicesPipeline('eir', 'services') as Array<{ $match: Record<string, unknown> }>;
    expect(leading(MONGO_INDEXES.subscriptions)).toEqual(expect.arrayContaining([...Object.keys(match!.$match), 'subscriber_key']));
    expect(leading(MONGO_INDEXES.services)).toContain('service_name');
  });

  it('only the subscription pair is unique, with subscriber_key first so lookups by subscriber use it', () => {
    const unique = Object.values(MONGO_INDEXES).flat().filter((d) => d.unique === true);
    expect(unique).toHaveLength(1);
    expect(Object.keys(unique[0]!.key as Record<string, number>)).toEqual(['subscriber_key', 'service_group']);
  });

  it('carry the names the server would generate, so createIndexes stays idempotent with indexes made by hand', () => {
    for (const d of Object.values(MONGO_INDEXES).flat()) {
      const generated = Object.entries(d.key as Record<string, number>).map(([field, dir]) => `${field}_${dir}`).join('_');
      expect(d.name).toBe(generated);
    }
  });

  it('cannot be changed by accident', () => {
    expect(Object.isFrozen(MONGO_INDEXES)).toBe(true);
    expect(Object.isFrozen(MONGO_INDEXES.services)).toBe(true);
    expect(Object.isFrozen(MONGO_INDEXES.subscriptions[1])).toBe(true);
  });
});

describe('getSubscriberServices pipeline', () => {
  it('matches the group, joins each subscriber to its pod by _id and drops subscribers without a pod', () => {
    expect(subscriberServicesPipeline('eir', 'reg_services')).toEqual([
      { $match: { service_group: 'eir' } },
      { $lookup: { from: 'reg_services', localField: 'subscriber_key', foreignField: '_id', as: 'pod' } },
      { $unwind: '$pod' },
      { $replaceRoot: { newRoot: '$pod' } },
    ]);
  });

  it('treats a group name as a value, never as an operator', () => {
    const pipeline = subscriberServicesPipeline('$where', 'services');
    const bytes = BSON.serialize({ pipeline });
    expect(BSON.deserialize(bytes).pipeline[0]).toEqual({ $match: { service_group: '$where' } });
  });
});

describe('transaction detection from hello', () => {
  it('a replica set member or mongos supports transactions; a standalone server does not', () => {
    expect(supportsTransactions({ isWritablePrimary: true, setName: 'rs0', hosts: ['a:27017'] })).toBe(true);
    expect(supportsTransactions({ isWritablePrimary: true, msg: 'isdbgrid' })).toBe(true);
    expect(supportsTransactions({ isWritablePrimary: true, maxWireVersion: 21 })).toBe(false);
  });
});
