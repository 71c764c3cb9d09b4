/**
 * Issue 12 §4: every MySQL/MariaDB row of the one table of classified errors (`CLASSIFIED_ERRORS`
 * in sql-shared) gets a case built as mysql2 builds it (`Packet.asError`: an `Error` with `code`,
 * `errno`, `sqlState`, `sqlMessage`; MariaDB-only numbers have no mysql2 name; client errors carry
 * `fatal`), checked through the store's dialect and `toStoreError`. The errors that are cheap to
 * cause for real are then caused on the server: KILL QUERY, KILL CONNECTION, a write in a
 * read-only transaction. (A server shutdown cannot be caused here: the server is shared.)
 */
import { StoreError } from '@governance/core';
import { CLASSIFIED_ERRORS, toStoreError } from '@governance/sql-shared';
import { createConnection, type Connection } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { MySqlDialectAdapter } from '../src/mysql-dialect';
import { MYSQL_URL, mysqlSkip } from './mysql-test-env';

const dialect = new MySqlDialectAdapter('test', 'root');
const TARGET = '127.0.0.1:3306/test';

/** The server's (or mysql2's) message and SQLSTATE of each code, as they word them. */
const SAMPLE: Record<string, { message: string; sqlState?: string; fatal?: true }> = {
  ER_SERVER_SHUTDOWN: { message: 'Server shutdown in progress', sqlState: '08S01' },
  ER_CONNECTION_KILLED: { message: 'Connection was killed', sqlState: '70100' },
  ER_QUERY_INTERRUPTED: { message: 'Query execution was interrupted', sqlState: '70100' },
  ER_CLIENT_INTERACTION_TIMEOUT: { message: 'The client was disconnected by the server because of inactivity.', sqlState: 'HY000' },
  ER_NET_READ_ERROR: { message: 'Got an error reading communication packets', sqlState: '08S01' },
  ER_NET_READ_INTERRUPTED: { message: 'Got timeout reading communication packets', sqlState: '08S01' },
  ER_NET_ERROR_ON_WRITE: { message: 'Got an error writing communication packets', sqlState: '08S01' },
  ER_NET_WRITE_INTERRUPTED: { message: 'Got timeout writing communication packets', sqlState: '08S01' },
  PROTOCOL_CONNECTION_LOST: { message: 'Connection lost: The server closed the connection.', fatal: true },
  PROTOCOL_SEQUENCE_TIMEOUT: { message: 'Query inactivity timeout', fatal: true },
  ER_OPTION_PREVENTS_STATEMENT: { message: 'The MariaDB server is running with the --read-only option so it cannot execute this statement', sqlState: 'HY000' },
  ER_READ_ONLY_MODE: { message: 'Running in read-only mode', sqlState: 'HY000' },
  ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: { message: 'Cannot execute statement in a READ ONLY transaction', sqlState: '25006' },
  ER_UNKNOWN_COM_ERROR: { message: 'WSREP has not yet prepared node for application use', sqlState: '08S01' },
  ER_CON_COUNT_ERROR: { message: 'Too many connections', sqlState: '08004' },
  ER_TOO_MANY_USER_CONNECTIONS: { message: "User root already has more than 'max_user_connections' active connections", sqlState: '42000' },
  ER_LOCK_WAIT_TIMEOUT: { message: 'Lock wait timeout exceeded; try restarting transaction', sqlState: 'HY000' },
  ER_STATEMENT_TIMEOUT: { message: 'Query execution was interrupted (max_statement_time exceeded)', sqlState: '70100' },
  ER_QUERY_TIMEOUT: { message: 'Query execution was interrupted, maximum statement execution time exceeded', sqlState: 'HY000' },
  ER_LOCK_DEADLOCK: { message: 'Deadlock found when trying to get lock; try restarting transaction', sqlState: '40001' },
};
/** MariaDB-only numbers that mysql2 has no name for: the error carries only `errno`. */
const UNNAMED = new Set(['ER_CONNECTION_KILLED', 'ER_STATEMENT_TIMEOUT']);

function mysql2Error(code: string, errno: number | undefined): Error {
  const sample = SAMPLE[code]!;
  const error = new Error(sample.message) as Error & Record<string, unknown>;
  if (sample.fatal) {
    error.fatal = true;
    error.code = code;
    return error;
  }
  error.code = UNNAMED.has(code) ? undefined : code;
  error.errno = errno;
  error.sqlState = sample.sqlState;
  error.sqlMessage = sample.message;
  return error;
}

const rows = CLASSIFIED_ERRORS.filter((row) => row.database === 'mysql');

describe('MySQL/MariaDB errors of the classified-errors table', () => {
  it.each(rows.map((row) => [row.code === undefined ? `(no code) ${row.when}` : `${row.code}${row.errno ? ` (${row.errno})` : ''}`, row] as const))('%s', (_label, row) => {
    if (row.code !== undefined) expect(SAMPLE[row.code], `a sample message for ${row.code}`).toBeDefined();
    const error =
      row.code === undefined
        ? Object.assign(new Error("Can't add new command when connection is in closed state"), { fatal: true })
        : mysql2Error(row.code, row.errno);
    const storeError = toStoreError(dialect, 'saveService', error, TARGET);
    expect(storeError).toBeInstanceOf(StoreError);
    expect(storeError.transient).toBe(row.transient);
    expect(storeError.cause).toBe(error);
    expect(storeError.message).toContain(error.message);
    expect(dialect.isRetryable(error)).toBe(row.kind === 'conflict');
  });

  it('ER_OPTION_PREVENTS_STATEMENT for another option than read-only stays permanent', () => {
    const error = Object.assign(new Error('The MariaDB server is running with the --secure-file-priv option so it cannot execute this statement'), {
      code: 'ER_OPTION_PREVENTS_STATEMENT',
      errno: 1290,
      sqlState: 'HY000',
    });
    expect(toStoreError(dialect, 'saveService', error, TARGET).transient).toBe(false);
  });

  it('a code outside the table stays permanent: ER_DUP_ENTRY', () => {
    const error = Object.assign(new Error("Duplicate entry 'x' for key 'PRIMARY'"), { code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' });
    expect(toStoreError(dialect, 'saveService', error, TARGET).transient).toBe(false);
  });
});

const skip = await mysqlSkip();

describe.skipIf(skip !== undefined)('MySQL/MariaDB errors caused on the server', () => {
  const connections: Connection[] = [];
  afterAll(async () => {
    for (const connection of connections) await connection.end().catch(() => undefined);
  });
  async function connect(): Promise<Connection> {
    const connection = await createConnection(MYSQL_URL);
    connection.on('error', () => undefined);
    connections.push(connection);
    return connection;
  }
  const failure = (promise: Promise<unknown>): Promise<unknown> =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  it('KILL QUERY → ER_QUERY_INTERRUPTED (1317), transient', async () => {
    const victim = await connect();
    const killer = await connect();
    const running = failure(victim.query('select sleep(10)'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await killer.query(`kill query ${victim.threadId}`);
    const error = await running;
    expect(error).toMatchObject({ errno: 1317 });
    expect(toStoreError(dialect, 'saveService', error, TARGET).transient).toBe(true);
  });

  it('KILL CONNECTION → the running query and the next one fail transient', async () => {
    const victim = await connect();
    const killer = await connect();
    const running = failure(victim.query('select sleep(10)'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await killer.query(`kill connection ${victim.threadId}`);
    const error = await running;
    expect(error, 'the running query fails').toBeInstanceOf(Error);
    expect(toStoreError(dialect, 'saveService', error, TARGET).transient, String(error)).toBe(true);
    const next = await failure(victim.query('select 1'));
    expect(next).toBeInstanceOf(Error);
    expect(toStoreError(dialect, 'saveService', next, TARGET).transient, String(next)).toBe(true);
    console.log(`[reliability] KILL CONNECTION: running query ${show(error)}; next query ${show(next)}`);
  });

  it('a write in a read-only transaction → ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION (1792), transient', async () => {
    const connection = await connect();
    const table = `gov_transient_${process.pid}_${Date.now()}`;
    await connection.query(`create table ${table} (x int) engine=InnoDB`);
    await connection.query('start transaction read only');
    const error = await failure(connection.query(`insert into ${table} values (1)`));
    await connection.query('rollback');
    await connection.query(`drop table ${table}`);
    expect(error).toMatchObject({ errno: 1792 });
    const storeError = toStoreError(dialect, 'saveService', error, TARGET);
    expect(storeError.transient).toBe(true);
    expect(storeError.message).toMatch(/accepts no writes right now/);
  });
});

function show(error: unknown): string {
  const { code, errno, message } = error as { code?: string; errno?: number; message?: string };
  return `${code ?? '-'} ${errno ?? '-'} "${message ?? ''}"`;
}
