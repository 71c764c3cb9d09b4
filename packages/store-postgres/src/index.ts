export { PostgresStore } from './postgres-store';
export type { PostgresSslMode, PostgresStoreOptions } from './postgres-options';
