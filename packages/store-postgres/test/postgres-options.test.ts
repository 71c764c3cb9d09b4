import { PostgresStore } from '@governance/store-postgres';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { optionFieldsOf } from '../../sql-shared/test/sql-store-scenarios';
import { resolvePostgresOptions } from '../src/postgres-options';

const fieldsOf = (make: () => unknown) => optionFieldsOf('PostgresStore', 'store-postgres', make);

describe('PostgresStore options', () => {
  it('applies the Go library defaults', () => {
    const o = resolvePostgresOptions({});
    expect(o).toMatchObject({
      host: 'localhost',
      port: 5432,
      database: 'postgres',
      user: 'postgres',
      ssl: false,
      maxConnections: 25,
      idleConnections: 5,
      idleTimeoutMs: 10_000,
      connectionLifetimeMs: 300_000,
      connectTimeoutMs: 10_000,
      tablePrefix: '',
      schema: 'public',
    });
  });

  it('reads every part of a connection string, percent-decoded', () => {
    const o = resolvePostgresOptions({
      connectionString: 'postgresql://gov%40app:p%2Fss@db.internal:6543/registry?sslmode=verify-full&connect_timeout=3',
    });
    expect(o).toMatchObject({ host: 'db.internal', port: 6543, database: 'registry', user: 'gov@app', password: 'p/ss', connectTimeoutMs: 3000 });
    expect(o.ssl).toEqual({ rejectUnauthorized: true });
  });

  it('maps each sslMode to the matching pg ssl setting', () => {
    expect(resolvePostgresOptions({ sslMode: 'disable' }).ssl).toBe(false);
    expect(resolvePostgresOptions({ sslMode: 'require' }).ssl).toEqual({ rejectUnauthorized: false });
    const verifyCa = resolvePostgresOptions({ sslMode: 'verify-ca', tls: { ca: 'PEM' } }).ssl as { ca: string; rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    expect(verifyCa.ca).toBe('PEM');
    expect(verifyCa.rejectUnauthorized).toBe(true);
    expect(verifyCa.checkServerIdentity()).toBeUndefined();
  });

  it('names every bad field at once', () => {
    const fields = fieldsOf(
      () =>
        new PostgresStore({
          port: 70_000,
          maxConnections: 0,
          connectTimeoutMs: -1,
          sslMode: 'prefer' as never,
          tablePrefix: 'gov-',
          schema: '1abc',
          host: '',
        }),
    );
    expect(fields.sort()).toEqual(['connectTimeoutMs', 'host', 'maxConnections', 'port', 'schema', 'sslMode', 'tablePrefix']);
  });

  it('rejects idle connections above the maximum and unknown options', () => {
    expect(fieldsOf(() => new PostgresStore({ maxConnections: 2, idleConnections: 3 }))).toEqual(['idleConnections']);
    expect(fieldsOf(() => new PostgresStore({ hostname: 'x' } as never))).toEqual(['hostname']);
  });

  it('rejects malformed connection strings with the reason', () => {
    expect(fieldsOf(() => new PostgresStore({ connectionString: 'not a url' }))).toEqual(['connectionString']);
    expect(fieldsOf(() => new PostgresStore({ connectionString: 'mysql://h/db' }))).toEqual(['connectionString']);
    expect(() => new PostgresStore({ connectionString: 'postgres://h/db?sslmode=strict' })).toThrow(/sslmode must be one of/);
    expect(fieldsOf(() => new PostgresStore({ connectionString: 'postgres://h/db', host: 'other' }))).toEqual(['host']);
  });

  it('refuses connection settings next to a host pool, and a pool that is not one', () => {
    const pool = new pg.Pool();
    expect(fieldsOf(() => new PostgresStore({ pool, maxConnections: 3, host: 'x' })).sort()).toEqual(['host', 'maxConnections']);
    expect(fieldsOf(() => new PostgresStore({ pool: {} as never }))).toEqual(['pool']);
    void pool.end();
  });
});
