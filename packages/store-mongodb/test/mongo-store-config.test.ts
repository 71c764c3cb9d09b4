import { ValidationError } from '@governance/core';
import { MongoStore, type MongoStoreOptions } from '@governance/store-mongodb';
import { MONGO_DEFAULTS, databaseInUri, resolveMongoConfig } from '../src/mongo-store-config';
import { MongoClient, MongoParseError } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';

// Building a MongoClient never connects; these clients are closed anyway to leave nothing behind.
const built: MongoClient[] = [];
afterEach(async () => {
  await Promise.all(built.splice(0).map((c) => c.close()));
});

function resolve(options: MongoStoreOptions) {
  const config = resolveMongoConfig(options);
  built.push(config.client);
  return config;
}

function fieldErrors(options: unknown): string[] {
  try {
    resolve(options as MongoStoreOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/^\[store-mongodb\] invalid MongoStore options: /);
    return (error as ValidationError).errors.map((e) => e.path);
  }
  throw new Error('expected a ValidationError');
}

describe('client options built from uri', () => {
  it('applies the Go store defaults: pool 100/10, connect timeout 10 s', () => {
    const { client, ownsClient } = resolve({ uri: 'mongodb://127.0.0.1:27017/governance' });
    expect(ownsClient).toBe(true);
    expect(client.options.maxPoolSize).toBe(100);
    expect(client.options.minPoolSize).toBe(10);
    expect(client.options.connectTimeoutMS).toBe(10_000);
    expect(client.options.serverSelectionTimeoutMS).toBe(10_000);
    expect(MONGO_DEFAULTS).toMatchObject({ maxPoolSize: 100, minPoolSize: 10, connectTimeoutMs: 10_000 });
  });

  it('passes explicit options to the driver', () => {
    const { client } = resolve({
      uri: 'mongodb://127.0.0.1:27017/governance',
      maxPoolSize: 7,
      minPoolSize: 2,
      connectTimeoutMs: 1234,
      serverSelectionTimeoutMs: 567,
    });
    expect(client.options).toMatchObject({ maxPoolSize: 7, minPoolSize: 2, connectTimeoutMS: 1234, serverSelectionTimeoutMS: 567 });
  });

  it('honours options in the uri query string over the defaults, and explicit options over both', () => {
    const uri = 'mongodb://127.0.0.1:27017/governance?maxPoolSize=5&MINPOOLSIZE=1&connectTimeoutMS=2500';
    expect(resolve({ uri }).client.options).toMatchObject({ maxPoolSize: 5, minPoolSize: 1, connectTimeoutMS: 2500 });
    expect(resolve({ uri, maxPoolSize: 50 }).client.options.maxPoolSize).toBe(50);
  });

  it('passes clientOptions through, below the named options', () => {
    const { client } = resolve({
      uri: 'mongodb://127.0.0.1:27017/governance',
      maxPoolSize: 9,
      clientOptions: { appName: 'registry-test', maxPoolSize: 3, minPoolSize: 1, retryWrites: false },
    });
    expect(client.options.appName).toBe('registry-test');
    expect(client.options.retryWrites).toBe(false);
    expect(client.options.maxPoolSize).toBe(9);
    expect(client.options.minPoolSize).toBe(1);
  });

  it('keeps hosts and credentials as the driver parsed them', () => {
    const { client } = resolve({ uri: 'mongodb://reg%40user:p%2Fss@db1:27017,db2:27018/governance?replicaSet=rs0&authSource=admin' });
    expect(client.options.hosts.map(String)).toEqual(['db1:27017', 'db2:27018']);
    expect(client.options.credentials?.username).toBe('reg@user');
    expect(client.options.credentials?.password).toBe('p/ss');
    expect(client.options.replicaSet).toBe('rs0');
  });
});

describe('database name', () => {
  it('comes from the option', () => {
    expect(resolve({ uri: 'mongodb://127.0.0.1:27017', database: 'registry' }).database).toBe('registry');
  });

  it('comes from the uri path (decoded, after credentials, before the query string)', () => {
    expect(resolve({ uri: 'mongodb://u:p%2Fq@db1,db2:27018/my-registry?replicaSet=rs0' }).database).toBe('my-registry');
    expect(resolve({ uri: 'mongodb://127.0.0.1/reg%5Fistry' }).database).toBe('reg_istry');
  });

  it('agrees with the driver on the path', () => {
    for (const uri of ['mongodb://u:p@db1:1,db2:2/alpha?w=majority', 'mongodb://127.0.0.1/beta', 'mongodb://127.0.0.1:27017/gamma?']) {
      const { client, database } = resolve({ uri });
      expect(database).toBe(client.options.dbName);
    }
  });

  it('the option wins over the uri path', () => {
    expect(resolve({ uri: 'mongodb://127.0.0.1/from-path', database: 'from-option' }).database).toBe('from-option');
  });

  it('is required when neither names one', () => {
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1:27017' })).toEqual(['database']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1:27017/?w=1' })).toEqual(['database']);
  });

  it('must be a valid MongoDB database name', () => {
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1', database: 'a.b' })).toEqual(['database']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1', database: 'x'.repeat(64) })).toEqual(['database']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/bad$name' })).toEqual(['uri']);
  });

  it('databaseInUri reads srv URIs and ignores a bare slash', () => {
    expect(databaseInUri('mongodb+srv://user:pw@cluster0.example.test/prod?retryWrites=true')).toBe('prod');
    expect(databaseInUri('mongodb://127.0.0.1/')).toBe('');
    expect(databaseInUri('mongodb://127.0.0.1')).toBe('');
    expect(databaseInUri('mongodb://u:p@h/?authSource=admin')).toBe('');
  });
});

describe('validation names the field', () => {
  it('uri is required unless client is given', () => {
    expect(fieldErrors({})).toEqual(['uri']);
    expect(fieldErrors({ database: 'x' })).toEqual(['uri']);
    expect(fieldErrors({ uri: 42 })).toEqual(['uri']);
    expect(fieldErrors({ uri: 'postgres://127.0.0.1/x' })).toEqual(['uri']);
    expect(fieldErrors(undefined)).toEqual(['']);
  });

  it('a uri the driver rejects is reported on uri, with the driver error as cause', () => {
    let caught: unknown;
    try {
      resolve({ uri: 'mongodb://127.0.0.1/governance?notAnOption=1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).errors[0]!.path).toBe('uri');
    expect((caught as Error).cause).toBeInstanceOf(MongoParseError);
    expect((caught as Error).message).toContain('notanoption');
  });

  it.each([
    ['maxPoolSize', -1],
    ['maxPoolSize', 1.5],
    ['minPoolSize', '10'],
    ['connectTimeoutMs', 0],
    ['serverSelectionTimeoutMs', Number.POSITIVE_INFINITY],
  ])('%s = %s is rejected', (field, value) => {
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance', [field]: value })).toEqual([field]);
  });

  it('minPoolSize may not exceed maxPoolSize; the default minimum shrinks to a smaller maximum', () => {
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance', maxPoolSize: 5, minPoolSize: 6 })).toEqual(['minPoolSize']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance', minPoolSize: 101 })).toEqual(['minPoolSize']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance?minPoolSize=8', maxPoolSize: 5 })).toEqual(['uri']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance?maxPoolSize=4&minPoolSize=8' })).toEqual(['uri']);
    expect(resolve({ uri: 'mongodb://127.0.0.1/governance', maxPoolSize: 5 }).client.options).toMatchObject({ maxPoolSize: 5, minPoolSize: 5 });
    expect(resolve({ uri: 'mongodb://127.0.0.1/governance?maxPoolSize=4' }).client.options).toMatchObject({ maxPoolSize: 4, minPoolSize: 4 });
    expect(resolve({ uri: 'mongodb://127.0.0.1/governance', maxPoolSize: 0, minPoolSize: 500 }).client.options.maxPoolSize).toBe(0);
  });

  it('collectionPrefix and transactions are checked', () => {
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance', collectionPrefix: 'a$b' })).toEqual(['collectionPrefix']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance', collectionPrefix: 'system.' })).toEqual(['collectionPrefix']);
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1/governance', transactions: 'sometimes' })).toEqual(['transactions']);
    expect(resolve({ uri: 'mongodb://127.0.0.1/governance', collectionPrefix: 'reg_1.' }).collectionPrefix).toBe('reg_1.');
  });

  it('reports every bad field at once', () => {
    expect(fieldErrors({ uri: 'mongodb://127.0.0.1', maxPoolSize: -3, transactions: 1, collectionPrefix: ' ' })).toEqual([
      'collectionPrefix',
      'transactions',
      'database',
      'maxPoolSize',
    ]);
  });
});

describe('a client handed in by the host', () => {
  it('is used as is, with the database named in the options', () => {
    const host = new MongoClient('mongodb://127.0.0.1:27017/ignored', { maxPoolSize: 3 });
    built.push(host);
    const config = resolveMongoConfig({ client: host, database: 'registry' });
    expect(config.client).toBe(host);
    expect(config.ownsClient).toBe(false);
    expect(config.database).toBe('registry');
    expect(config.client.options.maxPoolSize).toBe(3);
  });

  it('rejects uri, pool options and a missing database alongside it', () => {
    const host = new MongoClient('mongodb://127.0.0.1:27017');
    built.push(host);
    expect(fieldErrors({ client: host, uri: 'mongodb://127.0.0.1/x', database: 'x' })).toEqual(['client']);
    expect(fieldErrors({ client: host, database: 'x', maxPoolSize: 5, connectTimeoutMs: 5 })).toEqual(['connectTimeoutMs', 'maxPoolSize']);
    expect(fieldErrors({ client: host })).toEqual(['database']);
    expect(fieldErrors({ client: { db() {} }, database: 'x' })).toEqual(['client']);
  });
});

describe('MongoStore construction', () => {
  it('exposes the client, database and prefixed collection names without connecting', async () => {
    const store = new MongoStore({ uri: 'mongodb://127.0.0.1:27017/governance', collectionPrefix: 'reg_' });
    expect(store.name).toBe('store-mongodb');
    expect(store.databaseName).toBe('governance');
    expect(store.collectionNames).toEqual({ services: 'reg_services', subscriptions: 'reg_subscriptions', members: 'reg_governance_members' });
    expect(store.client).toBeInstanceOf(MongoClient);
    await store.close();
  });

  it('throws the ValidationError from the options', () => {
    expect(() => new MongoStore({ uri: 'mongodb://127.0.0.1:27017' })).toThrow(ValidationError);
  });
});
