import type { ColumnType } from 'kysely';

/**
 * Row shape of the `services` table. JSON columns are written as JSON text and may come back
 * parsed (PostgreSQL JSONB, MySQL JSON) or as text (MariaDB, where JSON is a LONGTEXT alias).
 */
export interface ServicesTable {
  service_key: string;
  service_name: string;
  pod_name: string;
  providers: ColumnType<unknown, string, string>;
  health_check_url: string;
  notification_url: string;
  subscriptions: ColumnType<unknown, string, string>;
  status: string;
  last_health_check: ColumnType<Date | string, Date, Date>;
  registered_at: ColumnType<Date | string, Date, Date>;
  updated_at: ColumnType<Date | string, Date, Date>;
  /** TTL (heartbeat) check in ms; null for a probed pod. Added by migration `0003_ttl`. */
  ttl_ms: ColumnType<number | string | null, number | null | undefined, number | null>;
}

/** Every `services` column an upsert replaces when the key exists (all but `service_key`). */
export const UPSERT_REPLACED_COLUMNS = [
  'service_name',
  'pod_name',
  'providers',
  'health_check_url',
  'notification_url',
  'subscriptions',
  'status',
  'last_health_check',
  'registered_at',
  'updated_at',
  'ttl_ms',
] as const satisfies ReadonlyArray<Exclude<keyof ServicesTable, 'service_key'>>;

/** Row shape of the `subscriptions` table: one (subscriber, group) pair per row. */
export interface SubscriptionsTable {
  subscriber_key: string;
  service_group: string;
}

/** `governance_counter`: one row (`id` = 1) whose `seq` is the head of the change log. */
export interface CounterTable {
  id: number;
  seq: ColumnType<number | string, number, number>;
}

/** `governance_log`: one entry per changed pod per logged transaction. */
export interface LogTable {
  seq: ColumnType<number | string, number, number>;
  service_key: string;
  service_group: string;
  kind: string;
  created_at: ColumnType<Date | string, Date, Date>;
}

/** `governance_groups`: the seq of each group's last change (kept when the log is pruned). */
export interface GroupsTable {
  service_group: string;
  revision: ColumnType<number | string, number, number>;
}

/** `governance_members`: cluster membership leases, timed by the database clock. */
export interface MembersTable {
  member_id: string;
  info: string;
  joined_at: ColumnType<Date | string, Date, Date>;
  lease_expires_at: ColumnType<Date | string, Date, Date>;
}

/** The tables as Kysely sees them. Real names carry the prefix and schema (see `TableNames`). */
export interface RegistryDatabase {
  services: ServicesTable;
  subscriptions: SubscriptionsTable;
  governance_counter: CounterTable;
  governance_log: LogTable;
  governance_groups: GroupsTable;
  governance_members: MembersTable;
}

/** The coordination tables added by migration `0002_cluster`. */
export const CLUSTER_TABLES = ['governance_counter', 'governance_log', 'governance_groups', 'governance_members'] as const;
type ClusterTable = (typeof CLUSTER_TABLES)[number];

/**
 * Physical names of the registry's tables, typed as their logical names so Kysely's builders
 * keep their column checking. `qualified` values may include a schema (`gov.services`).
 */
export type TableNames = { [T in ClusterTable]: T } & {
  services: 'services';
  subscriptions: 'subscriptions';
  /** Unqualified, prefixed table names (for index names and the migration tables). */
  plain: { services: string; subscriptions: string; migration: string; migrationLock: string } & { [T in ClusterTable]: string };
  prefix: string;
  schema: string | undefined;
};

/** Builds the table names for a prefix and an optional schema. */
export function tableNames(prefix: string, schema?: string): TableNames {
  const plain = {
    services: `${prefix}services`,
    subscriptions: `${prefix}subscriptions`,
    migration: `${prefix}governance_migration`,
    migrationLock: `${prefix}governance_migration_lock`,
    governance_counter: `${prefix}governance_counter`,
    governance_log: `${prefix}governance_log`,
    governance_groups: `${prefix}governance_groups`,
    governance_members: `${prefix}governance_members`,
  };
  const qualify = (name: string) => (schema === undefined ? name : `${schema}.${name}`);
  return {
    services: qualify(plain.services) as 'services',
    subscriptions: qualify(plain.subscriptions) as 'subscriptions',
    governance_counter: qualify(plain.governance_counter) as 'governance_counter',
    governance_log: qualify(plain.governance_log) as 'governance_log',
    governance_groups: qualify(plain.governance_groups) as 'governance_groups',
    governance_members: qualify(plain.governance_members) as 'governance_members',
    plain,
    prefix,
    schema,
  };
}
