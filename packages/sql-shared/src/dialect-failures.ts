import type { ErrorDescription } from './sql-dialect';

/**
 * The failures every SQL dialect explains in the same words, once it has recognised them by its
 * driver's own codes. `text` is the driver's message, `target` the server (`host:port/database`).
 */
export const dialectFailures = {
  authentication: (user: string, target: string, text: string): ErrorDescription => ({
    message: `authentication failed for user "${user}" at ${target} (${text}); check user/password`,
    transient: false,
  }),
  /** `create` is the statement to run, quoted the dialect's way. */
  missingDatabase: (database: string, target: string, create: string): ErrorDescription => ({
    message: `database "${database}" does not exist at ${target}; create it with ${create}`,
    transient: false,
  }),
  connectionLost: (target: string, text: string): ErrorDescription => ({
    message: `the connection to ${target} was lost (${text}); the pool reconnects on the next call`,
    transient: true,
  }),
  checkRejected: (text: string): ErrorDescription => ({
    message: `a value was rejected by the table's check (${text}); status must be healthy, unhealthy or unknown`,
    transient: false,
  }),
  /** A deadlock or serialization failure: running the transaction again may succeed. */
  conflict: (text: string, kind = 'a conflict'): ErrorDescription => ({
    message: `the transaction was aborted by ${kind} (${text}); retry it`,
    transient: true,
  }),
  /** A statement ran, or waited for a lock, past the store's `statementTimeoutMs`: the server ended it and the transaction rolled back. */
  statementTimeout: (target: string, text: string): ErrorDescription => ({
    message:
      `the server at ${target} ended a statement that ran or waited for a lock past statementTimeoutMs (${text}); ` +
      'the transaction was rolled back and nothing was written; retry later, and look for what holds the lock',
    transient: true,
  }),
  tooLong: (text: string): ErrorDescription => ({
    message: `a value is too long for its column (${text}); keys and names are limited to 255 characters, URLs to 2048`,
    transient: false,
  }),
  tablesMissing: (target: string, text: string): ErrorDescription => ({
    message: `the registry tables are missing at ${target} (${text}); create a new store so it migrates the schema again`,
    transient: false,
  }),
};
