/**
 * Issue 12 §4: every PostgreSQL row of the one table of classified errors (`CLASSIFIED_ERRORS` in
 * sql-shared) gets a case built as pg builds it (a `DatabaseError` carrying the SQLSTATE, or the
 * plain `Error` pg throws for a dead socket), checked through the store's dialect and
 * `toStoreError`. The errors that are cheap to cause for real are then caused on the server:
 * pg_terminate_backend(), pg_cancel_backend(), a write in a read-only transaction.
 */
import { StoreError } from '@governance/core';
import { CLASSIFIED_ERRORS, toStoreError } from '@governance/sql-shared';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresDialectAdapter } from '../src/postgres-dialect';
import { POSTGRES_URL, postgresSkip } from './postgres-test-env';

const dialect = new PostgresDialectAdapter('test', 'postgres', 'gov_changes');
const TARGET = '127.0.0.1:5432/test';

/** Server messages of each SQLSTATE, as PostgreSQL words them. */
const SAMPLE: Record<string, string> = {
  '57P01': 'terminating connection due to administrator command',
  '57P02': 'terminating connection because of crash of another server process',
  '57P03': 'the database system is shutting down',
  '57P05': 'terminating connection due to idle-session timeout',
  '25P03': 'terminating connection due to idle-in-transaction timeout',
  '08000': 'connection exception',
  '08003': 'connection does not exist',
  '08006': 'connection failure',
  '08001': 'could not establish connection',
  '08004': 'the server rejected the connection',
  '08007': 'transaction resolution unknown',
  '08P01': 'invalid frontend message type 0',
  '25006': 'cannot execute INSERT in a read-only transaction',
  '53300': 'sorry, too many clients already',
  '53000': 'insufficient resources',
  '57014': 'canceling statement due to statement timeout',
  '55P03': 'canceling statement due to lock timeout',
  '40001': 'could not serialize access due to concurrent update',
  '40P01': 'deadlock detected',
};

function databaseError(code: string, message: string): Error {
  const error = new pg.DatabaseError(message, message.length + 20, 'error');
  error.severity = code.startsWith('57P') || code === '25P03' ? 'FATAL' : 'ERROR';
  error.code = code;
  return error;
}

const rows = CLASSIFIED_ERRORS.filter((row) => row.database === 'postgresql');

describe('PostgreSQL errors of the classified-errors table', () => {
  it.each(rows.map((row) => [row.code ?? `(no code) ${row.when}`, row] as const))('%s', (_label, row) => {
    const error =
      row.code === undefined ? new Error('Connection terminated unexpectedly') : databaseError(row.code, SAMPLE[row.code] ?? 'x');
    if (row.code !== undefined) expect(SAMPLE[row.code], `a sample message for ${row.code}`).toBeDefined();
    const storeError = toStoreError(dialect, 'saveService', error, TARGET);
    expect(storeError).toBeInstanceOf(StoreError);
    expect(storeError.transient).toBe(row.transient);
    expect(storeError.cause).toBe(error);
    expect(storeError.message).toContain(error.message);
    expect(dialect.isRetryable(error)).toBe(row.kind === 'conflict');
  });

  it('a code outside the table stays permanent: unique_violation', () => {
    expect(toStoreError(dialect, 'saveService', databaseError('23505', 'duplicate key value'), TARGET).transient).toBe(false);
  });

  it('"Connection terminated due to connection timeout" is a connect timeout, not a lost connection', () => {
    const storeError = toStoreError(dialect, 'saveService', new Error('Connection terminated due to connection timeout'), TARGET);
    expect(storeError.transient).toBe(true);
    expect(storeError.message).toMatch(/timed out connecting/);
  });
});

const skip = await postgresSkip();

describe.skipIf(skip !== undefined)('PostgreSQL errors caused on the server', () => {
  const clients: pg.Client[] = [];
  afterAll(async () => {
    for (const client of clients) await client.end().catch(() => undefined);
  });
  async function connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: POSTGRES_URL, application_name: 'gov-transient-test' });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  it('pg_terminate_backend() → 57P01 admin_shutdown, transient; the dead client’s next query is transient too', async () => {
    const victim = await connect();
    const killer = await connect();
    const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const running = victim.query('select pg_sleep(10)').then(
      () => undefined,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await killer.query('select pg_terminate_backend($1)', [pid]);
    const error = await running;
    expect(error).toMatchObject({ code: '57P01' });
    const storeError = toStoreError(dialect, 'saveService', error, TARGET);
    expect(storeError.transient).toBe(true);
    expect(storeError.message).toMatch(/shutting down or restarting, or ended the session/);
    const next = await victim.query('select 1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(next).toBeInstanceOf(Error);
    expect(toStoreError(dialect, 'saveService', next, TARGET).transient, String(next)).toBe(true);
  });

  it('pg_cancel_backend() → 57014 query_canceled, transient', async () => {
    const victim = await connect();
    const killer = await connect();
    const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    const running = victim.query('select pg_sleep(10)').then(
      () => undefined,
      (error: unknown) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await killer.query('select pg_cancel_backend($1)', [pid]);
    const error = await running;
    expect(error).toMatchObject({ code: '57014' });
    expect(toStoreError(dialect, 'saveService', error, TARGET).transient).toBe(true);
  });

  it('a write in a read-only transaction (as on a standby after a failover) → 25006, transient', async () => {
    const client = await connect();
    await client.query('begin transaction read only');
    const error = await client.query('create table gov_transient_never (x int)').then(
      () => undefined,
      (e: unknown) => e,
    );
    await client.query('rollback');
    expect(error).toMatchObject({ code: '25006' });
    const storeError = toStoreError(dialect, 'saveService', error, TARGET);
    expect(storeError.transient).toBe(true);
    expect(storeError.message).toMatch(/accepts no writes right now/);
  });
});
