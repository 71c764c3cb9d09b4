import { readConnectionUrl, resolveCommonSqlSettings, startOptionCheck } from '@governance/sql-shared';
import type { MysqlPool } from 'kysely';
import type { SslOptions } from 'mysql2';
import { MYSQL_URL_RULES, mysql2UrlValue } from './mysql-url-parameters';

/**
 * Options of `MySqlStore` (MariaDB / MySQL). Give connection settings (fields or
 * `connectionString`) or an existing `pool`, not both. Pool sizes default to the Go library's
 * recommendation.
 */
export interface MySqlStoreOptions {
  /**
   * `mysql://user:password@host:port/database?ssl=true&connect_timeout=10`. TLS in the forms
   * providers print (`ssl=true`, `ssl={"rejectUnauthorized":true}`, `ssl-mode=REQUIRED`,
   * `sslaccept=strict`) is read by the store; other mysql2 options in the query go to mysql2.
   */
  connectionString?: string;
  /**
   * A mysql2 pool the host already has (`mysql2.createPool` or `mysql2/promise`), created with
   * `timezone: 'Z'`. The store uses it as is and `close()` does not end it; the connection
   * fields and pool sizes must then be left out.
   */
  pool?: MysqlPool | { pool: MysqlPool };
  /** Default `localhost`. */
  host?: string;
  /** Default 3306. */
  port?: number;
  /** The database holding the tables. Required (in the URL or here). */
  database?: string;
  /** Default `root`. */
  user?: string;
  password?: string;
  /** `true` for TLS with certificate checks, or mysql2's TLS settings (`ca`, `rejectUnauthorized`, …). Default off. */
  ssl?: boolean | SslOptions;
  /** Most connections the pool opens (mysql2 `connectionLimit`). Default 25. */
  maxConnections?: number;
  /** Idle connections kept (mysql2 `maxIdle`). Default 5. */
  idleConnections?: number;
  /** An idle connection above `idleConnections` is closed after this long (mysql2 `idleTimeout`). Default 10000. */
  idleTimeoutMs?: number;
  /**
   * Maximum lifetime of a connection: one this old is not handed out again but closed and
   * replaced (mysql2 has no such setting; the store enforces it); 0 = no limit. Default 300000
   * (5 min), the Go library's `ConnMaxLifetime`.
   */
  connectionLifetimeMs?: number;
  /** Gives up opening a connection after this long (mysql2 `connectTimeout`). Default 10000. */
  connectTimeoutMs?: number;
  /** Prefix of every table and index name, e.g. `gov_`. Default none. */
  tablePrefix?: string;
  /**
   * Server-side limit (ms) of each statement and each lock wait in a write: the server ends it and
   * the transaction is rolled back, so the write fails (HTTP 503 + Retry-After) with a definite
   * outcome instead of waiting as long as a lock is held. Session settings, set once on each
   * connection the store takes into use, so its reads are limited too. 0 turns it off. Default 5000.
   */
  statementTimeoutMs?: number;
}

/** Validated options with every default applied. */
export interface ResolvedMySqlOptions {
  pool: MysqlPool | undefined;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  /** mysql2's TLS settings, or the name of one of its SSL profiles (`Amazon RDS`). */
  ssl: SslOptions | string | undefined;
  maxConnections: number;
  idleConnections: number;
  idleTimeoutMs: number;
  connectionLifetimeMs: number;
  connectTimeoutMs: number;
  tablePrefix: string;
  statementTimeoutMs: number;
  /** The URL's other query parameters, read as mysql2 reads them, for mysql2. */
  driverOptions: Record<string, unknown>;
}

const CONNECTION_FIELDS = ['host', 'port', 'database', 'user', 'password', 'ssl'] as const;
const POOL_FIELDS = ['maxConnections', 'idleConnections', 'idleTimeoutMs', 'connectionLifetimeMs', 'connectTimeoutMs'] as const;
const KNOWN = new Set<string>(['connectionString', 'pool', ...CONNECTION_FIELDS, ...POOL_FIELDS, 'tablePrefix', 'statementTimeoutMs']);

/** Checks the options, reading a connection string when given; throws `ValidationError` naming each bad field. */
export function resolveMySqlOptions(options: MySqlStoreOptions): ResolvedMySqlOptions {
  const { c, given } = startOptionCheck('MySqlStore', 'store-mysql', options, KNOWN);

  let fromUrl: Record<string, unknown> = {};
  let passThrough: Record<string, string> = {};
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== 'string') c.fail('connectionString', 'must be a string');
    else ({ settings: fromUrl, passThrough } = readConnectionUrl(c, options.connectionString, ['mysql:', 'mariadb:'], MYSQL_URL_RULES));
    for (const k of given(CONNECTION_FIELDS)) c.fail(k, 'cannot be combined with connectionString; put it in the URL');
  }

  let pool: MysqlPool | undefined;
  if (options.pool !== undefined) {
    pool = callbackPool(options.pool);
    if (pool === undefined) c.fail('pool', 'must be a mysql2 pool (mysql2.createPool or mysql2/promise createPool)');
    else if (!utcPool(pool)) c.fail('pool', "must be created with timezone: 'Z' so timestamps are stored in UTC");
    for (const k of given(['connectionString', ...CONNECTION_FIELDS, ...POOL_FIELDS])) {
      c.fail(k, 'cannot be combined with pool; configure the pool itself');
    }
  }

  const database = c.text('database', options.database ?? fromUrl.database);
  if (database === undefined && options.pool === undefined && !c.errors.some((e) => e.path === 'database' || e.path === 'connectionString')) {
    c.fail('database', 'is required (the database that holds the registry tables)');
  }
  const ssl = options.ssl ?? fromUrl.ssl;
  const profile = typeof ssl === 'string' && options.ssl === undefined; // `ssl=Amazon RDS` in the URL
  if (ssl !== undefined && typeof ssl !== 'boolean' && !profile && (typeof ssl !== 'object' || ssl === null)) {
    c.fail('ssl', 'must be true, false or an object of TLS settings');
  }

  const resolved: ResolvedMySqlOptions = {
    pool,
    database: database ?? '(pool)',
    ...resolveCommonSqlSettings(c, options, fromUrl, { port: 3306, user: 'root' }),
    ssl: ssl === true ? {} : typeof ssl === 'object' && ssl !== null ? (ssl as SslOptions) : typeof ssl === 'string' ? ssl : undefined,
    driverOptions: Object.fromEntries(Object.entries(passThrough).map(([key, value]) => [key, mysql2UrlValue(value)])),
  };
  c.done();
  return resolved;
}

/** The callback-style pool Kysely drives: the pool itself, or the one inside a mysql2/promise pool. */
function callbackPool(value: unknown): MysqlPool | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const inner = (value as { pool?: unknown }).pool;
  if (typeof inner === 'object' && inner !== null && typeof (inner as MysqlPool).getConnection === 'function') {
    return inner as MysqlPool;
  }
  return typeof (value as MysqlPool).getConnection === 'function' ? (value as MysqlPool) : undefined;
}

function utcPool(pool: MysqlPool): boolean {
  const zone = (pool as { config?: { connectionConfig?: { timezone?: string } } }).config?.connectionConfig?.timezone;
  return zone === undefined || zone === 'Z' || zone === '+00:00' || zone === 'UTC';
}
