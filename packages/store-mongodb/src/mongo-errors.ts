import { StoreError, isGovernanceError, type StoreOperation } from '@governance/core';
import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/** Where the failing call went, for messages that say what to check. */
export interface MongoErrorContext {
  /** Hosts of the deployment, e.g. `db1:27017,db2:27017` (never credentials). */
  where: string;
  database: string;
  /** How long the driver waits for a usable server (`serverSelectionTimeoutMS`). */
  serverSelectionTimeoutMs?: number;
}

const STORE = 'store-mongodb';

/** Server error codes after which the same call may succeed later (elections, shutdowns, conflicts). */
export const TRANSIENT_SERVER_CODES: ReadonlySet<number> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  112, // WriteConflict
  134, // ReadConcernMajorityNotAvailableYet
  189, // PrimarySteppedDown
  251, // NoSuchTransaction
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

const TRANSIENT_LABELS = ['TransientTransactionError', 'RetryableWriteError', 'UnknownTransactionCommitResult'];

/**
 * Wraps anything the driver threw into a `StoreError` whose message names the operation, the
 * problem and what to do, with the driver's error as `cause` and `transient` set when retrying
 * later may succeed. Errors that already are Governance errors pass through unchanged.
 */
export function toStoreError(operation: StoreOperation, error: unknown, context: MongoErrorContext): Error {
  if (isGovernanceError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const wrap = (text: string, transient: boolean) => new StoreError(STORE, operation, text, { cause: error, transient });

  if (error instanceof MongoServerSelectionError) {
    // Not transient: the driver already waited serverSelectionTimeoutMS for a server, so an
    // immediate retry (the manager's store retry) would only multiply the wait.
    const waited = context.serverSelectionTimeoutMs === undefined ? '' : ` within ${context.serverSelectionTimeoutMs / 1000} s (serverSelectionTimeoutMs)`;
    return wrap(
      `cannot reach MongoDB at ${context.where}${waited}: ${message}; check that the server is running and reachable and that uri names it — the next call tries again`,
      false,
    );
  }
  // Matched by name: these classes are missing from older 6.x drivers, which the peer range allows.
  const name = error instanceof Error ? error.name : '';
  if (error instanceof MongoNetworkError || name === 'MongoOperationTimeoutError') {
    return wrap(`the connection to MongoDB at ${context.where} failed (${message}); retry, and check the network and the server if it persists`, true);
  }
  if (error instanceof MongoTopologyClosedError || error instanceof MongoNotConnectedError || name === 'MongoClientClosedError') {
    return wrap(`the MongoClient is closed (${message}); a client passed to MongoStore must stay open until the store is closed`, false);
  }
  if (error instanceof MongoServerError) {
    const code = typeof error.code === 'number' ? error.code : undefined;
    const label = code === undefined ? error.codeName ?? 'error' : `${error.codeName ?? 'error'} ${code}`;
    if (code === 11000) {
      return wrap(
        `duplicate key (${message}); another document already holds this unique key — if the collections were created by another tool, drop the conflicting index or set collectionPrefix`,
        false,
      );
    }
    if (code === 18 || code === 13) {
      return wrap(
        `MongoDB refused access (${label}: ${message}); check the user, password and authSource in uri, and that the user may read and write database "${context.database}"`,
        false,
      );
    }
    if (code === 85 || code === 86) {
      return wrap(
        `an existing index conflicts with the store's indexes (${label}: ${message}); drop that index or choose another collectionPrefix`,
        false,
      );
    }
    if (code === 20 && /transaction/i.test(message)) {
      return wrap(
        `this MongoDB deployment does not support transactions (${message}); use transactions: 'auto' (or 'never'), or run a replica set`,
        false,
      );
    }
    const transient = (code !== undefined && TRANSIENT_SERVER_CODES.has(code)) || TRANSIENT_LABELS.some((l) => error.hasErrorLabel(l));
    return wrap(`MongoDB answered ${label}: ${message}${transient ? '; retry later' : ''}`, transient);
  }
  if (error instanceof MongoError) {
    const transient = TRANSIENT_LABELS.some((l) => error.hasErrorLabel(l));
    return wrap(`${error.name}: ${message}`, transient);
  }
  return wrap(message, false);
}
