import {
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
import { type RawBuilder, sql } from 'kysely';

/**
 * PostgreSQL specifics: JSONB, timestamptz(3), ON CONFLICT, SQLSTATE classification, and the
 * change log appended in one statement that also queues a NOTIFY on the store's channel.
 */
export class PostgresDialectAdapter implements SqlDialectAdapter {
  readonly storeName = 'store-postgres';
  readonly jsonType = 'jsonb';
  readonly supportsReturning = true;
  readonly timestampType = 'timestamptz(3)';
  readonly tableOptions = undefined;
  readonly now: RawBuilder<Date> = sql<Date>`date_trunc('milliseconds', now())`;
  readonly epochMicros: RawBuilder<number> = sql<number>`(extract(epoch from clock_timestamp()) * 1000000)::bigint`;
  readonly #database: string;
  readonly #user: string;
  readonly #channel: string;

  /** @param channel the NOTIFY channel of this store's tables (see `changeChannel`). */
  constructor(database: string, user: string, channel: string) {
    this.#database = database;
    this.#user = user;
    this.#channel = channel;
  }

  beginLimited(ms: number, isolation?: 'repeatable read'): string {
    // Sent without parameters, so pg uses the simple protocol, which takes several statements;
    // `set local`: for this transaction only, so a pool the host shares keeps its own settings.
    const value = Math.round(ms);
    const begin = isolation === undefined ? 'begin' : `begin isolation level ${isolation}`;
    return `${begin}; set local statement_timeout = ${value}; set local lock_timeout = ${value}`;
  }

  plusMs(base: RawBuilder<Date>, ms: number): RawBuilder<Date> {
    return sql<Date>`(${base} + ${ms}::integer * interval '1 millisecond')`;
  }

  /**
   * One statement: the counter UPDATE (whose row lock orders the commit), the log INSERT, the
   * `governance_groups` upsert and `pg_notify` (delivered at COMMIT), all from the same numbers.
   */
  async appendLog(trx: TransactionDb, t: TableNames, changes: readonly PendingChange[]): Promise<number> {
    const k = changes.length;
    const { rows } = await sql<{ seq: string }>`with c as (
        update ${sql.table(t.governance_counter)} set seq = seq + ${k}::bigint where id = 1 returning seq
      ), e as (
        select c.seq - ${k}::bigint + u.n as seq, u.service_key, u.service_group, u.kind
        from c, unnest(${changes.map((c) => c.key)}::text[], ${changes.map((c) => c.group)}::text[], ${changes.map((c) => c.kind)}::text[])
          with ordinality as u(service_key, service_group, kind, n)
      ), l as (
        insert into ${sql.table(t.governance_log)} (seq, service_key, service_group, kind, created_at)
        select seq, service_key, service_group, kind, now() from e
      ), g as (
        insert into ${sql.table(t.governance_groups)} as g (service_group, revision)
        select service_group, max(seq) from e group by service_group
        on conflict (service_group) do update set revision = greatest(g.revision, excluded.revision)
      )
      select c.seq, pg_notify(${this.#channel}, c.seq::text) from c`.execute(trx);
    if (rows[0] === undefined) throw new Error(`the change-log counter row is missing from ${t.plain.governance_counter}`);
    return Number(rows[0].seq);
  }

  async ensureCounter(db: RegistryDb, t: TableNames, start: RawBuilder<number>): Promise<void> {
    await db.insertInto(t.governance_counter).values({ id: 1, seq: start }).onConflict((oc) => oc.column('id').doNothing()).execute();
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
    const classified = classifyError('postgresql', code, text);
    if (classified !== undefined) return describeClassified(classified, target, text);
    if (code === '23514') return dialectFailures.checkRejected(text);
    if (code === '22001') return dialectFailures.tooLong(text);
    if (code === '42P01' || code === '3F000') return dialectFailures.tablesMissing(target, text);
    if (/timeout exceeded when trying to connect|connection timeout/i.test(text)) {
      return { message: `timed out connecting to ${target}; is the server running at ${target}? raise connectTimeoutMs for a slow network`, transient: true };
    }
    if (/does not support SSL/i.test(text)) {
      return { message: `the server at ${target} does not accept SSL; set sslMode to 'disable' or enable SSL on the server`, transient: false };
    }
    if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) return { message: `${text} (SQLSTATE ${code}, server ${target})`, transient: false };
    return undefined;
  }

  isRetryable(error: unknown): boolean {
    return classifyError('postgresql', errorCode(error), errorMessage(error))?.kind === 'conflict';
  }
}
