import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { RegistryDatabase, TableNames } from './registry-database';
import type { SqlDialectAdapter } from './sql-dialect';

const STATUS_CHECK = sql`status in ('healthy', 'unhealthy', 'unknown')`;

/**
 * The registry's schema as versioned, in-code migrations. Names sort in the order they run;
 * a released migration is never edited, a change gets a new one. Every step tolerates objects
 * that already exist, so a migration interrupted half-way (MySQL has no transactional DDL) can
 * simply run again.
 */
export function registryMigrations(dialect: SqlDialectAdapter, tables: TableNames): Record<string, Migration> {
  return {
    '0001_registry_tables': {
      async up(db: Kysely<unknown>): Promise<void> {
        const k = db as Kysely<RegistryDatabase>;
        const { plain, prefix } = tables;
        let services = k.schema
          .createTable(tables.services)
          .ifNotExists()
          .addColumn('service_key', sql`varchar(255)`, (c) => c.primaryKey())
          .addColumn('service_name', sql`varchar(255)`, (c) => c.notNull())
          .addColumn('pod_name', sql`varchar(255)`, (c) => c.notNull())
          .addColumn('providers', sql.raw(dialect.jsonType), (c) => c.notNull())
          .addColumn('health_check_url', sql`varchar(2048)`, (c) => c.notNull())
          .addColumn('notification_url', sql`varchar(2048)`, (c) => c.notNull())
          .addColumn('subscriptions', sql.raw(dialect.jsonType), (c) => c.notNull())
          .addColumn('status', sql`varchar(20)`, (c) => c.notNull())
          .addColumn('last_health_check', sql.raw(dialect.timestampType), (c) => c.notNull())
          .addColumn('registered_at', sql.raw(dialect.timestampType), (c) => c.notNull())
          .addColumn('updated_at', sql.raw(dialect.timestampType), (c) => c.notNull())
          .addCheckConstraint(`${prefix}services_status_check`, STATUS_CHECK);
        if (dialect.tableOptions !== undefined) services = services.modifyEnd(sql.raw(dialect.tableOptions));
        await services.execute();
        await dialect.ensureIndex(k, tables.services, plain.services, `${prefix}services_service_name_idx`, ['service_name']);
        await dialect.ensureIndex(k, tables.services, plain.services, `${prefix}services_status_idx`, ['status']);

        let subscriptions = k.schema
          .createTable(tables.subscriptions)
          .ifNotExists()
          .addColumn('subscriber_key', sql`varchar(255)`, (c) => c.notNull())
          .addColumn('service_group', sql`varchar(255)`, (c) => c.notNull())
          .addUniqueConstraint(`${prefix}subscriptions_pair_key`, ['subscriber_key', 'service_group']);
        if (dialect.tableOptions !== undefined) subscriptions = subscriptions.modifyEnd(sql.raw(dialect.tableOptions));
        await subscriptions.execute();
        await dialect.ensureIndex(
          k,
          tables.subscriptions,
          plain.subscriptions,
          `${prefix}subscriptions_service_group_idx`,
          ['service_group'],
        );
      },
    },
  };
}

/** Hands Kysely's `Migrator` the in-code migrations. */
export class InCodeMigrationProvider implements MigrationProvider {
  readonly #migrations: Record<string, Migration>;

  constructor(migrations: Record<string, Migration>) {
    this.#migrations = migrations;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    return this.#migrations;
  }
}
