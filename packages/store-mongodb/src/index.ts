export { MongoStore } from './mongo-store';
export type {
  MongoStoreClientOptions,
  MongoStoreCommonOptions,
  MongoStoreOptions,
  MongoStoreUriOptions,
  MongoTransactionMode,
} from './mongo-store-config';
