import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';
import type { RegistryDatabase, TableNames } from './registry-database';
import type { SqlDialectAdapter } from './sql-dialect';

const STATUS_CHECK = sql`status in ('healthy', 'unhealthy', 'unknown')`;
const KIND_CHECK = sql`kind in ('save', 'delete', 'health')`;

/**
 * How far ahead of the database clock (in microseconds) the log counter starts: one day. Seqs are
 * the revisions managers send, and managers of earlier versions sent their own wall clock in
 * microseconds; starting a day ahead keeps new revisions above theirs even while an old manager
 * keeps running (a blue/green or rolling upgrade, clock skew) for up to a day after the migration.
 */
export const COUNTER_START_MARGIN_US = 86_400_000_000;

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
        const services = k.schema
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
        await withTableOptions(dialect, services).execute();
        await dialect.ensureIndex(k, tables.services, plain.services, `${prefix}services_service_name_idx`, ['service_name']);
        await dialect.ensureIndex(k, tables.services, plain.services, `${prefix}services_status_idx`, ['status']);

        const subscriptions = k.schema
          .createTable(tables.subscriptions)
          .ifNotExists()
          .addColumn('subscriber_key', sql`varchar(255)`, (c) => c.notNull())
          .addColumn('service_group', sql`varchar(255)`, (c) => c.notNull())
          .addUniqueConstraint(`${prefix}subscriptions_pair_key`, ['subscriber_key', 'service_group']);
        await withTableOptions(dialect, subscriptions).execute();
        await dialect.ensureIndex(
          k,
          tables.subscriptions,
          plain.subscriptions,
          `${prefix}subscriptions_service_group_idx`,
          ['service_group'],
        );
      },
    },
    '0002_cluster': {
      async up(db: Kysely<unknown>): Promise<void> {
        await createClusterTables(db as Kysely<RegistryDatabase>, dialect, tables);
      },
    },
    '0003_ttl': {
      async up(db: Kysely<unknown>): Promise<void> {
        await addColumnIfMissing(db as Kysely<RegistryDatabase>, dialect, tables, 'ttl_ms', 'integer');
      },
    },
  };
}

/**
 * Migration `0003_ttl`'s step: adds a nullable column to `services` unless it exists already (a
 * re-run after an interrupted migration; MySQL has no transactional DDL and no
 * `ADD COLUMN IF NOT EXISTS`). Existing rows get null.
 */
async function addColumnIfMissing(
  k: Kysely<RegistryDatabase>,
  dialect: SqlDialectAdapter,
  tables: TableNames,
  column: string,
  type: 'integer',
): Promise<void> {
  const current = dialect.storeName === 'store-mysql' ? sql`database()` : sql`current_schema()`;
  const schema = tables.schema === undefined ? current : sql`${tables.schema}`;
  const found = await sql<{ n: number | string }>`select count(*) as n from information_schema.columns
    where table_schema = ${schema} and table_name = ${tables.plain.services} and column_name = ${column}`.execute(k);
  if (Number(found.rows[0]?.n ?? 0) > 0) return;
  await k.schema.alterTable(tables.services).addColumn(column, type).execute();
}

/**
 * Migration `0002_cluster`: the change log, its counter, group revisions and membership leases.
 * Idempotent step by step: tables are created if missing and the counter row is inserted only
 * when absent, so a half-finished run (MySQL has no transactional DDL) just runs again.
 */
async function createClusterTables(k: Kysely<RegistryDatabase>, dialect: SqlDialectAdapter, tables: TableNames): Promise<void> {
  const { prefix } = tables;
  const stamp = sql.raw(dialect.timestampType);
  const finish = (builder: CreateTableBuilder<string, string>) => withTableOptions(dialect, builder).execute();

  await finish(
    k.schema
      .createTable(tables.governance_counter)
      .ifNotExists()
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addCheckConstraint(`${prefix}governance_counter_single_row`, sql`id = 1`),
  );
  await dialect.ensureCounter(k, tables, sql<number>`${dialect.epochMicros} + ${sql.lit(COUNTER_START_MARGIN_US)}`);

  await finish(
    k.schema
      .createTable(tables.governance_log)
      .ifNotExists()
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('service_key', sql`varchar(255)`, (c) => c.notNull())
      .addColumn('service_group', sql`varchar(255)`, (c) => c.notNull())
      .addColumn('kind', sql`varchar(10)`, (c) => c.notNull())
      .addColumn('created_at', stamp, (c) => c.notNull())
      .addCheckConstraint(`${prefix}governance_log_kind_check`, KIND_CHECK),
  );

  await finish(
    k.schema
      .createTable(tables.governance_groups)
      .ifNotExists()
      .addColumn('service_group', sql`varchar(255)`, (c) => c.primaryKey())
      .addColumn('revision', 'bigint', (c) => c.notNull()),
  );

  await finish(
    k.schema
      .createTable(tables.governance_members)
      .ifNotExists()
      .addColumn('member_id', sql`varchar(255)`, (c) => c.primaryKey())
      .addColumn('info', sql`varchar(512)`, (c) => c.notNull())
      .addColumn('joined_at', stamp, (c) => c.notNull())
      .addColumn('lease_expires_at', stamp, (c) => c.notNull()),
  );
}

/** The builder with the dialect's `CREATE TABLE` options appended (MySQL: charset and collation). */
function withTableOptions<T extends string, C extends string>(dialect: SqlDialectAdapter, builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> {
  return dialect.tableOptions === undefined ? builder : builder.modifyEnd(sql.raw(dialect.tableOptions));
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
