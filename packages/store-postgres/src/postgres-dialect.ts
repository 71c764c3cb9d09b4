import { type ErrorDescription, type RegistryDb, type ServiceInsert, type SqlDialectAdapter, type TableNames, errorCode, errorMessage } from '@governance/sql-shared';

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
        oc.column('service_key').doUpdateSet((eb) => ({
          service_name: eb.ref('excluded.service_name'),
          pod_name: eb.ref('excluded.pod_name'),
          providers: eb.ref('excluded.providers'),
          health_check_url: eb.ref('excluded.health_check_url'),
          notification_url: eb.ref('excluded.notification_url'),
          subscriptions: eb.ref('excluded.subscriptions'),
          status: eb.ref('excluded.status'),
          last_health_check: eb.ref('excluded.last_health_check'),
          registered_at: eb.ref('excluded.registered_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
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
      return { message: `authentication failed for user "${this.#user}" at ${target} (${text}); check user/password`, transient: false };
    }
    if (code === '3D000') {
      return {
        message: `database "${this.#database}" does not exist at ${target}; create it with CREATE DATABASE "${this.#database}"`,
        transient: false,
      };
    }
    if (code !== undefined && (code.startsWith('08') || CONNECTION_LOST.has(code))) {
      return { message: `the server at ${target} dropped or refused the connection (${text}); the pool reconnects on the next call`, transient: true };
    }
    if (code !== undefined && RETRYABLE.has(code)) {
      return { message: `the transaction was aborted by a conflict (${text}); retry it`, transient: true };
    }
    if (code === '23514') return { message: `a value was rejected by the table's check (${text}); status must be healthy, unhealthy or unknown`, transient: false };
    if (code === '22001') return { message: `a value is too long for its column (${text}); keys and names are limited to 255 characters, URLs to 2048`, transient: false };
    if (code === '42P01' || code === '3F000') {
      return { message: `the registry tables are missing at ${target} (${text}); create a new store so it migrates the schema again`, transient: false };
    }
    if (/timeout exceeded when trying to connect|connection timeout/i.test(text)) {
      return { message: `timed out connecting to ${target}; is the server running at ${target}? raise connectTimeoutMs for a slow network`, transient: true };
    }
    if (/Connection terminated|connection ended|Client has encountered a connection error/i.test(text)) {
      return { message: `the connection to ${target} was lost (${text}); the pool reconnects on the next call`, transient: true };
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
