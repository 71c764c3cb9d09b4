import {
  type ErrorDescription,
  type RegistryDb,
  type ServiceInsert,
  type SqlDialectAdapter,
  type TableNames,
  UPSERT_REPLACED_COLUMNS,
  dialectFailures,
  errorCode,
  errorMessage,
} from '@governance/sql-shared';

const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', '53300', '53000']);
const RETRYABLE = new Set(['40001', '40P01']);

/** PostgreSQL specifics: JSONB, timestamptz(3), ON CONFLICT, SQLSTATE classification. */
export class PostgresDialectAdapter implements SqlDialectAdapter {
  readonly storeName = 'store-postgres';
  readonly jsonType = 'jsonb';
  readonly supportsReturning = true;
  readonly timestampType = 'timestamptz(3)';
  readonly tableOptions = undefined;
  readonly #database: string;
  readonly #user: string;

  constructor(database: string, user: string) {
    this.#database = database;
    this.#user = user;
  }

  async upsertServices(db: RegistryDb, t: TableNames, rows: readonly ServiceInsert[]): Promise<void> {
    await db
      .insertInto(t.services)
      .values(rows as ServiceInsert[])
      .onConflict((oc) =>
        oc
          .column('service_key')
          .doUpdateSet((eb) => Object.fromEntries(UPSERT_REPLACED_COLUMNS.map((column) => [column, eb.ref(`excluded.${column}`)]))),
      )
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
      .onConflict((oc) => oc.columns(['subscriber_key', 'service_group']).doNothing())
      .execute();
  }

  async ensureIndex(db: RegistryDb, table: string, _plain: string, name: string, columns: string[]): Promise<void> {
    await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
  }

  describeError(error: unknown, target: string): ErrorDescription | undefined {
    const code = errorCode(error);
    const text = errorMessage(error);
    if (code === '28P01' || code === '28000') {
      return dialectFailures.authentication(this.#user, target, text);
    }
    if (code === '3D000') {
      return dialectFailures.missingDatabase(this.#database, target, `CREATE DATABASE "${this.#database}"`);
    }
    if (code !== undefined && (code.startsWith('08') || CONNECTION_LOST.has(code))) {
      return { message: `the server at ${target} dropped or refused the connection (${text}); the pool reconnects on the next call`, transient: true };
    }
    if (code !== undefined && RETRYABLE.has(code)) {
      return dialectFailures.conflict(text);
    }
    if (code === '23514') return dialectFailures.checkRejected(text);
    if (code === '22001') return dialectFailures.tooLong(text);
    if (code === '42P01' || code === '3F000') return dialectFailures.tablesMissing(target, text);
    if (/timeout exceeded when trying to connect|connection timeout/i.test(text)) {
      return { message: `timed out connecting to ${target}; is the server running at ${target}? raise connectTimeoutMs for a slow network`, transient: true };
    }
    if (/Connection terminated|connection ended|Client has encountered a connection error/i.test(text)) {
      return dialectFailures.connectionLost(target, text);
    }
    if (/does not support SSL/i.test(text)) {
      return { message: `the server at ${target} does not accept SSL; set sslMode to 'disable' or enable SSL on the server`, transient: false };
    }
    if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return { message: `${text} (SQLSTATE ${code}, server ${target})`, transient: false };
    return undefined;
  }

  isRetryable(error: unknown): boolean {
    const code = errorCode(error);
    return code !== undefined && RETRYABLE.has(code);
  }
}
