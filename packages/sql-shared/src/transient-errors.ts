import { dialectFailures } from './dialect-failures';
import type { ErrorDescription } from './sql-dialect';

/**
 * The one table of server and driver errors that the SQL stores classify by code as a class of
 * failure: a server shutting down or restarting, a lost connection, a server that is read-only
 * (a failover moved the primary), a server at its connection limit, a statement or lock timeout,
 * a transaction conflict. `transient: true` rows make a `StoreError` with `transient: true`, so
 * the manager answers 503 + `Retry-After` and its lane retries the write (`storeRetry`).
 * Both store READMEs print this table; `transient-errors.test.ts` of each store has a case per row.
 */

/** What kind of failure a row is; decides the `StoreError` message. */
export type FailureKind = 'shutdown' | 'connection-lost' | 'read-only' | 'overloaded' | 'timeout' | 'conflict' | 'protocol';

/** One row: a driver's error code (or message, for driver errors without a code) and what it means. */
export interface ClassifiedError {
  database: 'postgresql' | 'mysql';
  /** The SQLSTATE (PostgreSQL), the mysql2 code name (MySQL/MariaDB), or undefined for a driver message without a code. */
  code: string | undefined;
  /** The MySQL/MariaDB error number, for the docs. */
  errno?: number;
  /** The row applies only when the message also matches (a code that also means other things, or a driver error without a code). */
  when?: RegExp;
  meaning: string;
  kind: FailureKind;
  transient: boolean;
}

const pg = (code: string | undefined, meaning: string, kind: FailureKind, extra: Partial<ClassifiedError> = {}): ClassifiedError => ({
  database: 'postgresql',
  code,
  meaning,
  kind,
  transient: kind !== 'protocol',
  ...extra,
});

const my = (code: string | undefined, errno: number | undefined, meaning: string, kind: FailureKind, extra: Partial<ClassifiedError> = {}): ClassifiedError => ({
  database: 'mysql',
  code,
  ...(errno === undefined ? {} : { errno }),
  meaning,
  kind,
  transient: kind !== 'protocol',
  ...extra,
});

export const CLASSIFIED_ERRORS: readonly ClassifiedError[] = [
  // PostgreSQL: SQLSTATEs (the "PostgreSQL Error Codes" appendix of its manual).
  pg('57P01', 'admin_shutdown: the server is shutting down, or pg_terminate_backend() ended the session', 'shutdown'),
  pg('57P02', 'crash_shutdown: another server process crashed and the server is restarting', 'shutdown'),
  pg('57P03', 'cannot_connect_now: the server is starting up, shutting down or in recovery', 'shutdown'),
  pg('57P05', 'idle_session_timeout: the server closed an idle session (idle_session_timeout)', 'connection-lost'),
  pg('25P03', 'idle_in_transaction_session_timeout: the server closed a session idle inside a transaction', 'connection-lost'),
  pg('08000', 'connection_exception', 'connection-lost'),
  pg('08003', 'connection_does_not_exist', 'connection-lost'),
  pg('08006', 'connection_failure', 'connection-lost'),
  pg('08001', 'sqlclient_unable_to_establish_sqlconnection', 'connection-lost'),
  pg('08004', 'sqlserver_rejected_establishment_of_sqlconnection', 'connection-lost'),
  pg('08007', 'transaction_resolution_unknown: the connection died during COMMIT (the writes are idempotent, so running it again is safe)', 'connection-lost'),
  pg('08P01', 'protocol_violation: client and server disagree on the protocol; retrying does not help', 'protocol'),
  pg('25006', 'read_only_sql_transaction: the server is a standby (a failover moved the primary) or default_transaction_read_only is on', 'read-only'),
  pg('53300', 'too_many_connections: the server is at max_connections', 'overloaded'),
  pg('53000', 'insufficient_resources', 'overloaded'),
  pg('57014', 'query_canceled: statement_timeout (or pg_cancel_backend()) ended the statement; the transaction rolled back', 'timeout'),
  pg('55P03', 'lock_not_available: lock_timeout ended a lock wait; the transaction rolled back', 'timeout'),
  pg('40001', 'serialization_failure', 'conflict'),
  pg('40P01', 'deadlock_detected', 'conflict'),
  pg(undefined, 'pg: the socket closed under a query or an idle connection ("Connection terminated unexpectedly")', 'connection-lost', {
    when: /Connection terminated(?! due to connection timeout)|connection ended|Client has encountered a connection error/i,
  }),

  // MySQL and MariaDB: server errors by mysql2's code name (MariaDB-only numbers are named here).
  my('ER_SERVER_SHUTDOWN', 1053, 'the server is shutting down', 'shutdown'),
  my('ER_CONNECTION_KILLED', 1927, 'MariaDB: the connection was killed (KILL CONNECTION, or the server shutting down)', 'shutdown'),
  my('ER_QUERY_INTERRUPTED', 1317, 'the statement was interrupted (KILL QUERY, or the server shutting down)', 'shutdown'),
  my('ER_CLIENT_INTERACTION_TIMEOUT', 4031, 'MySQL 8: the server closed an idle connection (wait_timeout)', 'connection-lost'),
  my('ER_NET_READ_ERROR', 1158, 'the server got an error reading from the connection', 'connection-lost'),
  my('ER_NET_READ_INTERRUPTED', 1159, 'the server timed out reading from the connection', 'connection-lost'),
  my('ER_NET_ERROR_ON_WRITE', 1160, 'the server got an error writing to the connection', 'connection-lost'),
  my('ER_NET_WRITE_INTERRUPTED', 1161, 'the server timed out writing to the connection', 'connection-lost'),
  my('PROTOCOL_CONNECTION_LOST', undefined, 'mysql2: the server closed the connection', 'connection-lost'),
  my('PROTOCOL_SEQUENCE_TIMEOUT', undefined, 'mysql2: no answer within the query timeout', 'connection-lost'),
  my(undefined, undefined, 'mysql2: a query or write on a connection that had already failed ("Can\'t add new command when connection is in closed state")', 'connection-lost', {
    when: /in closed state/i,
  }),
  my('ER_OPTION_PREVENTS_STATEMENT', 1290, 'the server runs with read_only / super_read_only (a replica, or a failover moved the primary)', 'read-only', {
    when: /read[-_ ]only/i,
  }),
  my('ER_READ_ONLY_MODE', 1836, 'the server is in read-only mode', 'read-only'),
  my('ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION', 1792, 'a write inside a read-only transaction (transaction_read_only / tx_read_only is on)', 'read-only'),
  my('ER_UNKNOWN_COM_ERROR', 1047, 'Galera: "WSREP has not yet prepared node for application use" (the node left the primary component)', 'read-only', {
    when: /WSREP/i,
  }),
  my('ER_CON_COUNT_ERROR', 1040, 'too many connections (max_connections)', 'overloaded'),
  my('ER_TOO_MANY_USER_CONNECTIONS', 1203, 'the user is at max_user_connections', 'overloaded'),
  my('ER_LOCK_WAIT_TIMEOUT', 1205, 'a lock wait passed innodb_lock_wait_timeout / lock_wait_timeout; the statement (or transaction) rolled back', 'timeout'),
  my('ER_STATEMENT_TIMEOUT', 1969, 'MariaDB: a statement ran past max_statement_time', 'timeout'),
  my('ER_QUERY_TIMEOUT', 3024, 'MySQL: a statement ran past max_execution_time', 'timeout'),
  my('ER_LOCK_DEADLOCK', 1213, 'a deadlock; the transaction rolled back', 'conflict'),
];

const BY_CODE = new Map<string, ClassifiedError[]>();
const WITHOUT_CODE: ClassifiedError[] = [];
for (const row of CLASSIFIED_ERRORS) {
  if (row.code === undefined) {
    WITHOUT_CODE.push(row);
    continue;
  }
  const key = `${row.database}:${row.code}`;
  BY_CODE.set(key, [...(BY_CODE.get(key) ?? []), row]);
}

/** The row of the table this error matches: by code (and message where the row says so), or by message for driver errors without a code. */
export function classifyError(database: ClassifiedError['database'], code: string | undefined, message: string): ClassifiedError | undefined {
  if (code !== undefined) {
    const found = BY_CODE.get(`${database}:${code}`)?.find((row) => row.when === undefined || row.when.test(message));
    if (found !== undefined) return found;
  }
  return WITHOUT_CODE.find((row) => row.database === database && row.when!.test(message));
}

/**
 * The `StoreError` message and transience of a classified error. `text` is the driver's message,
 * `target` the server (`host:port/database`).
 */
export function describeClassified(row: ClassifiedError, target: string, text: string): ErrorDescription {
  switch (row.kind) {
    case 'timeout':
      return dialectFailures.statementTimeout(target, text);
    case 'conflict':
      return dialectFailures.conflict(text, row.database === 'mysql' ? 'a lock conflict' : 'a conflict');
    case 'connection-lost':
      return dialectFailures.connectionLost(target, text);
    case 'shutdown':
      return {
        message: `the server at ${target} is shutting down or restarting, or ended the session (${text}); the pool reconnects on the next call, retry shortly`,
        transient: true,
      };
    case 'read-only':
      return {
        message: `the server at ${target} accepts no writes right now (${text}); it is read-only or a standby, as during a failover: retry shortly, and check that the store's host names the primary`,
        transient: true,
      };
    case 'overloaded':
      return {
        message: `the server at ${target} refused the connection for lack of resources (${text}); retry shortly, and lower the pool size or raise the server's connection limit`,
        transient: true,
      };
    case 'protocol':
      return { message: `${text} (${row.code ?? 'no code'}, server ${target})`, transient: false };
  }
}
