import {
  CHUNK,
  type ErrorDescription,
  type PendingChange,
  type RegistryDb,
  type ServiceInsert,
  type SqlDialectAdapter,
  type TableNames,
  type TransactionDb,
  UPSERT_REPLACED_COLUMNS,
  classifyError,
  describeClassified,
  dialectFailures,
  errorCode,
  errorMessage,
} from '@governance/sql-shared';
import { CompiledQuery, type DatabaseConnection, type RawBuilder, sql } from 'kysely';

const AUTH = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_NOT_SUPPORTED_AUTH_MODE', 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR']);

/**
 * MySQL / MariaDB specifics: JSON, datetime(3) in UTC, ON DUPLICATE KEY, binary collation. The
 * database clock is `utc_timestamp(3)` (the timestamp columns hold UTC whatever the session's
 * time zone). No notifications: managers poll the change log.
 */
export class MySqlDialectAdapter implements SqlDialectAdapter {
  readonly storeName = 'store-mysql';
  readonly jsonType = 'json';
  readonly supportsReturning = false;
  readonly timestampType = 'datetime(3)';
  readonly tableOptions = 'default charset = utf8mb4 collate = utf8mb4_bin';
  readonly dateYears = [1000, 9999] as const;
  readonly now: RawBuilder<Date> = sql<Date>`utc_timestamp(3)`;
  readonly epochMicros: RawBuilder<number> = sql<number>`cast(unix_timestamp(now(6)) * 1000000 as signed)`;
  readonly #database: string;
  readonly #user: string;
  /** Whether the server knows `max_statement_time` (MariaDB); false once it said it does not. */
  #statementTime = true;

  constructor(database: string, user: string) {
    this.#database = database;
    this.#user = user;
  }

  /**
   * The store's limits as session settings of a connection the store just took into use (MySQL
   * has no per-transaction form; set once per connection instead of once per write, one round
   * trip less per write): lock waits (row and metadata locks) in whole seconds, rounded up, and
   * on MariaDB `max_statement_time`; a server without that variable (MySQL) is remembered and
   * asked without it.
   */
  async limitConnection(connection: DatabaseConnection, ms: number): Promise<void> {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    const locks = `set session innodb_lock_wait_timeout = ${seconds}, lock_wait_timeout = ${seconds}`;
    if (this.#statementTime) {
      try {
        await connection.executeQuery(CompiledQuery.raw(`${locks}, max_statement_time = ${ms / 1000}`));
        return;
      } catch (error) {
        if (errorCode(error) !== 'ER_UNKNOWN_SYSTEM_VARIABLE') throw error;
        this.#statementTime = false;
      }
    }
    await connection.executeQuery(CompiledQuery.raw(locks));
  }

  plusMs(base: RawBuilder<Date>, ms: number): RawBuilder<Date> {
    return sql<Date>`timestampadd(microsecond, ${ms * 1000}, ${base})`;
  }

  /**
   * `UPDATE … SET seq = LAST_INSERT_ID(seq + k)` takes the counter row's lock and reports the new
   * head in the OK packet (mysql2's `insertId`); then the log rows and the group revisions.
   */
  async appendLog(trx: TransactionDb, t: TableNames, changes: readonly PendingChange[]): Promise<number> {
    const k = changes.length;
    const taken = await sql`update ${sql.table(t.governance_counter)} set seq = last_insert_id(seq + ${k}) where id = 1`.execute(trx);
    if (taken.numAffectedRows === 0n) throw new Error(`the change-log counter row is missing from ${t.plain.governance_counter}`);
    let last = taken.insertId;
    if (last === undefined) {
      const { rows } = await sql<{ id: number | string }>`select last_insert_id() as id`.execute(trx);
      last = BigInt(rows[0]!.id);
    }
    const head = Number(last);
    const first = head - k + 1;
    const revisions = new Map<string, number>();
    const rows = changes.map((c, i) => {
      revisions.set(c.group, first + i);
      return { seq: first + i, service_key: c.key, service_group: c.group, kind: c.kind, created_at: this.now };
    });
    for (let at = 0; at < rows.length; at += CHUNK) {
      await trx.insertInto(t.governance_log).values(rows.slice(at, at + CHUNK)).execute();
    }
    const groups = [...revisions].map(([service_group, revision]) => ({ service_group, revision }));
    for (let at = 0; at < groups.length; at += CHUNK) {
      await trx
        .insertInto(t.governance_groups)
        .values(groups.slice(at, at + CHUNK))
        .onDuplicateKeyUpdate({ revision: sql`greatest(${sql.ref('revision')}, values(${sql.ref('revision')}))` })
        .execute();
    }
    return head;
  }

  async ensureCounter(db: RegistryDb, t: TableNames, start: RawBuilder<number>): Promise<void> {
    await db
      .insertInto(t.governance_counter)
      .values({ id: 1, seq: start })
      .onDuplicateKeyUpdate((eb) => ({ id: eb.ref('id') }))
      .execute();
  }

  async upsertServices(db: RegistryDb, t: TableNames, rows: readonly ServiceInsert[]): Promise<void> {
    await db
      .insertInto(t.services)
      .values(rows as ServiceInsert[])
      .onDuplicateKeyUpdate(Object.fromEntries(UPSERT_REPLACED_COLUMNS.map((column) => [column, sql`values(${sql.ref(column)})`])))
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
    if (code === undefined) {
      const classified = classifyError('mysql', undefined, text);
      return classified === undefined ? undefined : describeClassified(classified, target, text);
    }
    if (AUTH.has(code)) {
      return dialectFailures.authentication(this.#user, target, text);
    }
    if (code === 'ER_BAD_DB_ERROR') {
      return dialectFailures.missingDatabase(this.#database, target, `CREATE DATABASE \`${this.#database}\``);
    }
    const classified = classifyError('mysql', code, text);
    if (classified !== undefined) return describeClassified(classified, target, text);
    if (code === 'ER_CONSTRAINT_FAILED' || code === 'ER_CHECK_CONSTRAINT_VIOLATED') return dialectFailures.checkRejected(text);
    if (code === 'ER_DATA_TOO_LONG') return dialectFailures.tooLong(text);
    if (code === 'ER_NO_SUCH_TABLE') return dialectFailures.tablesMissing(target, text);
    if (code.startsWith('ER_')) return { message: `${text} (${code}, server ${target})`, transient: false };
    return undefined;
  }

  isRetryable(error: unknown): boolean {
    return classifyError('mysql', mariaDbCode(error) ?? errorCode(error), errorMessage(error))?.kind === 'conflict';
  }
}

/**
 * MariaDB-only error numbers that mysql2 names after unrelated MySQL codes (the two servers
 * reuse numbers above 1900), mapped to their MariaDB meaning.
 */
const MARIADB_ERRNO: Record<number, string> = {
  1927: 'ER_CONNECTION_KILLED',
  1969: 'ER_STATEMENT_TIMEOUT',
  4025: 'ER_CONSTRAINT_FAILED',
};

function mariaDbCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { errno, message } = error as { errno?: unknown; message?: unknown };
  if (typeof errno !== 'number' || MARIADB_ERRNO[errno] === undefined) return undefined;
  if (errno === 4025 && !(typeof message === 'string' && /CONSTRAINT/i.test(message))) return undefined;
  if (errno === 1927 && !(typeof message === 'string' && /killed/i.test(message))) return undefined;
  if (errno === 1969 && !(typeof message === 'string' && /max_statement_time/i.test(message))) return undefined;
  return MARIADB_ERRNO[errno];
}
