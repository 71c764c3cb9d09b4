export { MongoStore } from './mongo-store';
export { subscriberServicesPipeline, supportsTransactions } from './mongo-queries';
export {
  MONGO_DEFAULTS,
  databaseInUri,
  resolveMongoConfig,
  type MongoStoreClientOptions,
  type MongoStoreCommonOptions,
  type MongoStoreOptions,
  type MongoStoreUriOptions,
  type MongoTransactionMode,
  type ResolvedMongoConfig,
} from './mongo-store-config';
export { MONGO_COLLECTIONS, MONGO_INDEXES } from './mongo-indexes';
export {
  checkService,
  fromServiceDocument,
  toServiceDocument,
  type ProviderDocument,
  type ServiceDocument,
  type SubscriptionDocument,
} from './mongo-documents';
export { TRANSIENT_SERVER_CODES, toStoreError, type MongoErrorContext } from './mongo-errors';
