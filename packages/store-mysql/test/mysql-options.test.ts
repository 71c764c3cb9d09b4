import { MySqlStore } from '@governance/store-mysql';
import { createPool } from 'mysql2';
import { createPool as createPromisePool } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { optionFieldsOf } from '../../sql-shared/test/sql-store-scenarios';
import { resolveMySqlOptions } from '../src/mysql-options';

const fieldsOf = (make: () => unknown) => optionFieldsOf('MySqlStore', 'store-mysql', make);

describe('MySqlStore options', () => {
  it('applies the Go library defaults', () => {
    expect(resolveMySqlOptions({ database: 'gov' })).toMatchObject({
      host: 'localhost',
      port: 3306,
      database: 'gov',
      user: 'root',
      ssl: undefined,
      maxConnections: 25,
      idleConnections: 5,
      idleTimeoutMs: 10_000,
      connectionLifetimeMs: 300_000,
      connectTimeoutMs: 10_000,
      tablePrefix: '',
    });
  });

  it('reads every part of a connection string, percent-decoded', () => {
    const o = resolveMySqlOptions({ connectionString: 'mysql://gov%40app:p%2Fss@db.internal:3307/registry?ssl=true&connect_timeout=4' });
    expect(o).toMatchObject({ host: 'db.internal', port: 3307, database: 'registry', user: 'gov@app', password: 'p/ss', ssl: {}, connectTimeoutMs: 4000 });
  });

  it('requires a database', () => {
    expect(fieldsOf(() => new MySqlStore({ host: 'db' }))).toEqual(['database']);
    expect(fieldsOf(() => new MySqlStore({ connectionString: 'mysql://db:3306' }))).toEqual(['database']);
  });

  it('names every bad field at once', () => {
    const fields = fieldsOf(
      () =>
        new MySqlStore({
          database: 'gov',
          port: 0,
          maxConnections: 1.5,
          connectionLifetimeMs: -5,
          ssl: 'yes' as never,
          tablePrefix: 'a b',
        }),
    );
    expect(fields.sort()).toEqual(['connectionLifetimeMs', 'maxConnections', 'port', 'ssl', 'tablePrefix']);
  });

  it('rejects malformed connection strings with the reason', () => {
    expect(fieldsOf(() => new MySqlStore({ connectionString: 'postgres://h/db' }))).toEqual(['connectionString']);
    expect(() => new MySqlStore({ connectionString: 'mysql://h/db?ssl=maybe' })).toThrow(/ssl must be true, false, a JSON object/);
    expect(fieldsOf(() => new MySqlStore({ connectionString: 'mysql://h/db', user: 'x' }))).toEqual(['user']);
  });

  it('accepts callback and promise mysql2 pools made with UTC, and refuses others', async () => {
    const utc = createPool({ host: '127.0.0.1', timezone: 'Z' });
    const promised = createPromisePool({ host: '127.0.0.1', timezone: 'Z' });
    const local = createPool({ host: '127.0.0.1' });
    try {
      expect(resolveMySqlOptions({ pool: utc as never }).pool).toBe(utc);
      expect(resolveMySqlOptions({ pool: promised as never }).pool).toBe((promised as unknown as { pool: unknown }).pool);
      expect(() => new MySqlStore({ pool: local as never })).toThrow(/timezone: 'Z'/);
      expect(fieldsOf(() => new MySqlStore({ pool: utc as never, database: 'x', maxConnections: 2 })).sort()).toEqual(['database', 'maxConnections']);
      expect(fieldsOf(() => new MySqlStore({ pool: {} as never }))).toEqual(['pool']);
    } finally {
      utc.end();
      await promised.end();
      local.end();
    }
  });
});
