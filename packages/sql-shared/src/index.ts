export { SqlRegistryStore, type SqlStoreSetup } from './sql-registry-store';
export type { ChangeListener } from './sql-change-feed';
export type { ErrorDescription, PendingChange, RegistryDb, SqlDialectAdapter, TransactionDb } from './sql-dialect';
export {
  CLUSTER_TABLES,
  tableNames,
  UPSERT_REPLACED_COLUMNS,
  type RegistryDatabase,
  type ServicesTable,
  type SubscriptionsTable,
  type TableNames,
} from './registry-database';
export { rowToService, serviceToRow, uniqueGroups, type ServiceInsert, type ServiceRow } from './row-mapping';
export { describeNetworkError, errorCode, errorMessage, toStoreError } from './error-classifier';
export { COUNTER_START_MARGIN_US, InCodeMigrationProvider, registryMigrations } from './registry-migrations';
export { CHUNK } from './registry-writes';
export { OptionChecker, parseUrl, urlPart } from './options-checks';
export {
  readConnectionUrl,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  resolveCommonSqlSettings,
  startOptionCheck,
  type CommonSqlOptions,
  type CommonSqlSettings,
  type ConnectionUrl,
  type UrlParameter,
  type UrlParameterRules,
} from './connection-options';
export { dialectFailures } from './dialect-failures';
export { CLASSIFIED_ERRORS, classifyError, describeClassified, type ClassifiedError, type FailureKind } from './transient-errors';
