export { SqlRegistryStore, type SqlStoreSetup } from './sql-registry-store';
export type { ErrorDescription, RegistryDb, SqlDialectAdapter } from './sql-dialect';
export { tableNames, UPSERT_REPLACED_COLUMNS, type RegistryDatabase, type ServicesTable, type SubscriptionsTable, type TableNames } from './registry-database';
export { rowToService, serviceToRow, uniqueGroups, type ServiceInsert, type ServiceRow } from './row-mapping';
export { describeNetworkError, errorCode, errorMessage, toStoreError } from './error-classifier';
export { InCodeMigrationProvider, registryMigrations } from './registry-migrations';
export { OptionChecker, parseUrl, urlPart } from './options-checks';
export {
  readConnectionUrl,
  resolveCommonSqlSettings,
  startOptionCheck,
  type CommonSqlOptions,
  type CommonSqlSettings,
  type ConnectionUrl,
  type UrlParameter,
  type UrlParameterRules,
} from './connection-options';
export { dialectFailures } from './dialect-failures';
