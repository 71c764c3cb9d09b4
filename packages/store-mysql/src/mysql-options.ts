import { OptionChecker, parseUrl, urlPart } from '@governance/sql-shared';
import type { MysqlPool } from 'kysely';
import type { SslOptions } from 'mysql2';

/**
 * Options of `MySqlStore` (MariaDB / MySQL). Give connection settings (fields or
 * `connectionString`) or an existing `pool`, not both. Pool sizes default to the Go library's
 * recommendation.
 */
export interface MySqlStoreOptions {
  /** `mysql://user:password@host:port/database?ssl=true&connect_timeout=10`. */
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
  /** An idle connection above `idleConnections` is closed after this long (mysql2 `idleTimeout`). Default 300000 (5 min). */
  connectionLifetimeMs?: number;
  /** Gives up opening a connection after this long (mysql2 `connectTimeout`). Default 10000. */
  connectTimeoutMs?: number;
  /** Prefix of every table and index name, e.g. `gov_`. Default none. */
  tablePrefix?: string;
}

/** Validated options with every default applied. */
export interface ResolvedMySqlOptions {
  pool: MysqlPool | undefined;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  ssl: SslOptions | undefined;
  maxConnections: number;
  idleConnections: number;
  connectionLifetimeMs: number;
  connectTimeoutMs: number;
  tablePrefix: string;
}

const CONNECTION_FIELDS = ['host', 'port', 'database', 'user', 'password', 'ssl'] as const;
const POOL_FIELDS = ['maxConnections', 'idleConnections', 'connectionLifetimeMs', 'connectTimeoutMs'] as const;
const KNOWN = new Set<string>(['connectionString', 'pool', ...CONNECTION_FIELDS, ...POOL_FIELDS, 'tablePrefix']);

/** Checks the options, reading a connection string when given; throws `ValidationError` naming each bad field. */
export function resolveMySqlOptions(options: MySqlStoreOptions): ResolvedMySqlOptions {
  const c = new OptionChecker('MySqlStore options');
  if (typeof options !== 'object' || options === null) {
    c.fail('options', 'must be an object');
    c.done();
  }
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) c.fail(key, 'is not a MySqlStore option');
  const given = (keys: readonly string[]) => keys.filter((k) => (options as Record<string, unknown>)[k] !== undefined);

  const fromUrl: Record<string, unknown> = {};
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== 'string') c.fail('connectionString', 'must be a string');
    else readConnectionString(c, options.connectionString, fromUrl);
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

  const pick = (key: string): unknown => (options as Record<string, unknown>)[key] ?? fromUrl[key];
  const database = c.text('database', pick('database'));
  if (database === undefined && options.pool === undefined && !c.errors.some((e) => e.path === 'database' || e.path === 'connectionString')) {
    c.fail('database', 'is required (the database that holds the registry tables)');
  }
  const ssl = pick('ssl');
  if (ssl !== undefined && typeof ssl !== 'boolean' && (typeof ssl !== 'object' || ssl === null)) {
    c.fail('ssl', 'must be true, false or an object of TLS settings');
  }
  if (options.password !== undefined && typeof options.password !== 'string') c.fail('password', 'must be a string');

  const maxConnections = c.integer('maxConnections', options.maxConnections, 1, 10_000, 25);
  const idleConnections = c.integer('idleConnections', options.idleConnections, 0, 10_000, Math.min(5, maxConnections));
  if (idleConnections > maxConnections) c.fail('idleConnections', 'must not exceed maxConnections');

  const resolved: ResolvedMySqlOptions = {
    pool,
    host: c.text('host', pick('host')) ?? 'localhost',
    port: c.integer('port', pick('port'), 1, 65_535, 3306),
    database: database ?? '(pool)',
    user: c.text('user', pick('user')) ?? 'root',
    password: typeof pick('password') === 'string' ? (pick('password') as string) : undefined,
    ssl: ssl === true ? {} : typeof ssl === 'object' && ssl !== null ? (ssl as SslOptions) : undefined,
    maxConnections,
    idleConnections,
    connectionLifetimeMs: c.integer('connectionLifetimeMs', options.connectionLifetimeMs, 0, 2_147_483_647, 300_000),
    connectTimeoutMs: c.integer('connectTimeoutMs', pick('connectTimeoutMs'), 1, 2_147_483_647, 10_000),
    tablePrefix: c.identifier('tablePrefix', options.tablePrefix, '', 30, true),
  };
  c.done();
  return resolved;
}

function readConnectionString(c: OptionChecker, value: string, out: Record<string, unknown>): void {
  const url = parseUrl(c, 'connectionString', value, ['mysql:', 'mariadb:']);
  if (url === undefined) return;
  if (url.hostname !== '') out.host = urlPart(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port !== '') out.port = Number(url.port);
  const database = urlPart(url.pathname.replace(/^\//, ''));
  if (database !== undefined) out.database = database;
  if (url.username !== '') out.user = urlPart(url.username);
  if (url.password !== '') out.password = urlPart(url.password);
  for (const [key, v] of url.searchParams) {
    if (key === 'ssl') {
      if (v !== 'true' && v !== 'false') c.fail('connectionString', 'ssl must be true or false');
      else out.ssl = v === 'true';
    } else if (key === 'connect_timeout') {
      const seconds = Number(v);
      if (!Number.isInteger(seconds) || seconds < 1) c.fail('connectionString', 'connect_timeout must be a whole number of seconds ≥ 1');
      else out.connectTimeoutMs = seconds * 1000;
    } else {
      c.fail('connectionString', `unknown parameter "${key}"; supported: ssl, connect_timeout`);
    }
  }
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
