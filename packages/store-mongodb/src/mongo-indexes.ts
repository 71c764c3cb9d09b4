import type { IndexDescription } from 'mongodb';

/** Collection names before `collectionPrefix` is prepended. */
export const MONGO_COLLECTIONS = Object.freeze({
  services: 'services',
  subscriptions: 'subscriptions',
} as const);

const SERVICES_INDEXES: IndexDescription[] = [
  { key: { service_name: 1 }, name: 'service_name_1' },
  { key: { status: 1 }, name: 'status_1' },
];

const SUBSCRIPTIONS_INDEXES: IndexDescription[] = [
  { key: { service_group: 1 }, name: 'service_group_1' },
  { key: { subscriber_key: 1, service_group: 1 }, name: 'subscriber_key_1_service_group_1', unique: true },
];

/**
 * The indexes the store creates (with `createIndexes`, idempotently) on first use; the same set
 * as the Go library's MongoDB store. `services._id` is the service key and needs no index of its
 * own. The unique `subscriber_key + service_group` index also serves lookups by subscriber alone.
 */
export const MONGO_INDEXES: Readonly<Record<keyof typeof MONGO_COLLECTIONS, readonly Readonly<IndexDescription>[]>> = Object.freeze({
  services: Object.freeze(SERVICES_INDEXES.map((d) => Object.freeze(d))),
  subscriptions: Object.freeze(SUBSCRIPTIONS_INDEXES.map((d) => Object.freeze(d))),
});
