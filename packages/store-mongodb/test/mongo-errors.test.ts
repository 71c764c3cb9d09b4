import { StoreError, ValidationError } from '@governance/core';
import { TRANSIENT_SERVER_CODES, toStoreError } from '../src/mongo-errors';
import {
  MongoClient,
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';

const context = { where: 'db1:27017,db2:27017', database: 'registry', serverSelectionTimeoutMs: 300 };

function wrapped(error: unknown, operation: Parameters<typeof toStoreError>[0] = 'saveService'): StoreError {
  const result = toStoreError(operation, error, context);
  expect(result).toBeInstanceOf(StoreError);
  const storeError = result as StoreError;
  expect(storeError.cause).toBe(error);
  expect(storeError.store).toBe('store-mongodb');
  expect(storeError.operation).toBe(operation);
  expect(storeError.message.startsWith(`[store-mongodb] ${operation} failed: `)).toBe(true);
  return storeError;
}

/** A server error exactly as the driver builds it from a server reply. */
function serverError(code: number, codeName: string, errmsg: string, errorLabels: string[] = []): MongoServerError {
  return new MongoServerError({ ok: 0, code, codeName, errmsg, errorLabels });
}

describe('connection failures say where and what to check; a lost connection is transient', () => {
  let selection: MongoServerSelectionError;

  beforeAll(async () => {
    // The real error, from the real driver against a port nobody listens on.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/x`, { serverSelectionTimeoutMS: 300 });
    try {
      await client.db('x').command({ ping: 1 });
    } catch (error) {
      selection = error as MongoServerSelectionError;
    } finally {
      await client.close();
    }
    expect(selection).toBeInstanceOf(MongoServerSelectionError);
  });

  it('MongoServerSelectionError (server down): not transient, the driver already waited serverSelectionTimeoutMs', () => {
    const error = wrapped(selection, 'ping');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('cannot reach MongoDB at db1:27017,db2:27017 within 0.3 s (serverSelectionTimeoutMs): ');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('check that the server is running');
  });

  it('MongoNetworkError and MongoNetworkTimeoutError (connection lost mid-call)', () => {
    for (const cause of [
      new MongoNetworkError('connection 4 to 10.0.0.5:27017 closed'),
      new MongoNetworkTimeoutError('connection timed out'),
      new MongoOperationTimeoutError('Timed out during server selection'),
    ]) {
      const error = wrapped(cause, 'getService');
      expect(error.transient).toBe(true);
      expect(error.message).toContain('the connection to MongoDB at db1:27017,db2:27017 failed');
      expect(error.message).toContain(cause.message);
    }
  });
});

describe('server errors', () => {
  it('duplicate key 11000 is permanent and points at the conflicting index', () => {
    const error = wrapped(serverError(11000, 'DuplicateKey', 'E11000 duplicate key error collection: registry.subscriptions index: subscriber_key_1_service_group_1'), 'addSubscription');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('duplicate key');
    expect(error.message).toContain('subscriber_key_1_service_group_1');
    expect(error.message).toContain('collectionPrefix');
  });

  it('authentication and authorization failures name the uri parts and the database', () => {
    for (const [code, name] of [[18, 'AuthenticationFailed'], [13, 'Unauthorized']] as const) {
      const error = wrapped(serverError(code, name, 'not allowed'));
      expect(error.transient).toBe(false);
      expect(error.message).toContain(`${name} ${code}`);
      expect(error.message).toContain('authSource in uri');
      expect(error.message).toContain('database "registry"');
    }
  });

  it('an index conflict during preparation says how to resolve it', () => {
    const error = wrapped(serverError(85, 'IndexOptionsConflict', 'An equivalent index already exists with a different name'), 'migrate');
    expect(error.transient).toBe(false);
    expect(error.message).toContain("conflicts with the store's indexes");
  });

  it('transactions on a standalone server point at the transactions option', () => {
    const error = wrapped(serverError(20, 'IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos'));
    expect(error.transient).toBe(false);
    expect(error.message).toContain("transactions: 'auto'");
  });

  it('elections, shutdowns and write conflicts are transient', () => {
    expect(wrapped(serverError(189, 'PrimarySteppedDown', 'stepped down')).transient).toBe(true);
    expect(wrapped(serverError(10107, 'NotWritablePrimary', 'not primary')).transient).toBe(true);
    expect(wrapped(serverError(112, 'WriteConflict', 'conflict', ['TransientTransactionError'])).transient).toBe(true);
    expect(wrapped(serverError(9999, 'Whatever', 'odd', ['RetryableWriteError'])).transient).toBe(true);
    expect(TRANSIENT_SERVER_CODES.has(11000)).toBe(false);
  });

  it('other server errors are permanent and keep the server code', () => {
    const error = wrapped(serverError(2, 'BadValue', 'bad value'));
    expect(error.transient).toBe(false);
    expect(error.message).toContain('MongoDB answered BadValue 2: bad value');
  });
});

describe('client state and other errors', () => {
  it('a closed client says the host must keep it open', () => {
    for (const cause of [
      new MongoTopologyClosedError(),
      new MongoNotConnectedError('Client must be connected before running operations'),
      new MongoClientClosedError(),
    ]) {
      const error = wrapped(cause);
      expect(error.transient).toBe(false);
      expect(error.message).toContain('the MongoClient is closed');
    }
  });

  it('other driver errors keep their name; labelled ones are transient', () => {
    const plain = new MongoError('something odd');
    expect(wrapped(plain).message).toContain('MongoError: something odd');
    const labelled = new MongoError('retry me');
    labelled.addErrorLabel('TransientTransactionError');
    expect(wrapped(labelled).transient).toBe(true);
  });

  it('non-driver failures are wrapped; Governance errors pass through unchanged', () => {
    expect(wrapped(new TypeError('boom')).message).toBe('[store-mongodb] saveService failed: boom');
    expect(wrapped('a string').message).toBe('[store-mongodb] saveService failed: a string');
    const validation = new ValidationError([{ path: 'podName', message: 'bad' }]);
    expect(toStoreError('saveService', validation, context)).toBe(validation);
    const store = new StoreError('store-mongodb', 'getService', 'already wrapped');
    expect(toStoreError('getService', store, context)).toBe(store);
  });
});
