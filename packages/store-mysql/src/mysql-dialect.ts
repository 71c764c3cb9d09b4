import { type ErrorDescription, type RegistryDb, type ServiceInsert, type SqlDialectAdapter, type TableNames, errorCode, errorMessage } from '@governance/sql-shared';
import { sql } from 'kysely';

const AUTH = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_NOT_SUPPORTED_AUTH_MODE', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']);
const CONNECTION_LOST = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_NET_READ_ERROR',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** MySQL / MariaDB specifics: JSON, datetime(3) in UTC, ON DUPLICATE KEY, binary collation. */
export class MySqlDialectAdapter implements SqlDialectAdapter {
  readonly storeName = 'store-mysql';
  readonly jsonType = 'json';
  readonly supportsReturning = false;
  readonly timestampType = 'datetime(3)';
  readonly tableOptions = 'default charset = utf8mb4 collate = utf8mb4_bin';
  readonly #database: string;
  readonly #user: string;

  constructor(database: string, user: string) {
    this.#database = database;
    this.#user = user;
  }

  async upsertServices(db: RegistryDb, t: TableNames, rows: readonly ServiceInsert[]): Promise<void> {
    const fresh = <T = string>(column: string) => sql<T>`values(${sql.ref(column)})`;
    await db
      .insertInto(t.services)
      .values(rows as ServiceInsert[])
      .onDuplicateKeyUpdate({
        service_name: fresh('service_name'),
        pod_name: fresh('pod_name'),
        providers: fresh('providers'),
        health_check_url: fresh('health_check_url'),
        notification_url: fresh('notification_url'),
        subscriptions: fresh('subscriptions'),
        status: fresh('status'),
        last_health_check: fresh<Date>('last_health_check'),
        registered_at: fresh<Date>('registered_at'),
        updated_at: fresh<Date>('updated_at'),
      })
      .execute();
  }

  async insertSubscriptions(
    db: RegistryDb,
    t: TableNames,
    pairs: ReadonlyArray<{ subscriber_key: string; service_group: string }>,
  ): Promise<void> {
    await db
      .insertInto(t.subscriptions)
      .values(pairs.slice())
      .onDuplicateKeyUpdate((eb) => ({ service_group: eb.ref('service_group') }))
      .execute();
  }

  async ensureIndex(db: RegistryDb, table: string, plain: string, name: string, columns: string[]): Promise<void> {
    const found = await sql<{ n: number }>`select count(*) as n from information_schema.statistics
      where table_schema = database() and table_name = ${plain} and index_name = ${name}`.execute(db);
    if (Number(found.rows[0]?.n ?? 0) > 0) return;
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  }

  describeError(error: unknown, target: string): ErrorDescription | undefined {
    const code = mariaDbCode(error) ?? errorCode(error);
    const text = errorMessage(error);
    if (code === undefined) return undefined;
    if (AUTH.has(code)) {
      return { message: `authentication failed for user "${this.#user}" at ${target} (${text}); check user/password`, transient: false };
    }
    if (code === 'ER_BAD_DB_ERROR') {
      return {
        message: `database "${this.#database}" does not exist at ${target}; create it with CREATE DATABASE \`${this.#database}\``,
        transient: false,
      };
    }
    if (CONNECTION_LOST.has(code)) {
      return { message: `the connection to ${target} was lost (${text}); the pool reconnects on the next call`, transient: true };
    }
    if (RETRYABLE.has(code)) return { message: `the transaction was aborted by a lock conflict (${text}); retry it`, transient: true };
    if (code === 'ER_CONSTRAINT_FAILED' || code === 'ER_CHECK_CONSTRAINT_VIOLATED') {
      return { message: `a value was rejected by the table's check (${text}); status must be healthy, unhealthy or unknown`, transient: false };
    }
    if (code === 'ER_DATA_TOO_LONG') {
      return { message: `a value is too long for its column (${text}); keys and names are limited to 255 characters, URLs to 2048`, transient: false };
    }
    if (code === 'ER_NO_SUCH_TABLE') {
      return { message: `the registry tables are missing at ${target} (${text}); create a new store so it migrates the schema again`, transient: false };
    }
    if (code.startsWith('ER_')) return { message: `${text} (${code}, server ${target})`, transient: false };
    return undefined;
  }

  isRetryable(error: unknown): boolean {
    const code = mariaDbCode(error) ?? errorCode(error);
    return code !== undefined && RETRYABLE.has(code);
  }
}

/**
 * MariaDB-only error numbers that mysql2 names after unrelated MySQL codes (the two servers
 * reuse numbers above 1900), mapped to their MariaDB meaning.
 */
const MARIADB_ERRNO: Record<number, string> = {
  1927: 'ER_CONNECTION_KILLED',
  4025: 'ER_CONSTRAINT_FAILED',
};

function mariaDbCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errno, message } = error as { errno?: unknown; message?: unknown };
  if (typeof errno !== 'number' || MARIADB_ERRNO[errno] === undefined) return undefined;
  if (errno === 4025 && !(typeof message === 'string' && /CONSTRAINT/i.test(message))) return undefined;
  if (errno === 1927 && !(typeof message === 'string' && /killed/i.test(message))) return undefined;
  return MARIADB_ERRNO[errno];
}
