import type { ConnectionOptions } from 'node:tls';
import { OptionChecker, parseUrl, urlPart } from '@governance/sql-shared';
import type { PostgresPool } from 'kysely';

/** How the connection uses TLS, with libpq's meanings. */
export type PostgresSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: readonly PostgresSslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/**
 * Options of `PostgresStore`. Give connection settings (fields or `connectionString`) or an
 * existing `pool`, not both. Pool sizes default to the Go library's recommendation.
 */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?sslmode=require&connect_timeout=10`. */
  connectionString?: string;
  /**
   * A `pg.Pool` the host already has. The store uses it as is and `close()` does not end it;
   * the connection fields and pool sizes must then be left out.
   */
  pool?: PostgresPool;
  /** Default `localhost`. */
  host?: string;
  /** Default 5432. */
  port?: number;
  /** Default `postgres`. */
  database?: string;
  /** Default `postgres`. */
  user?: string;
  password?: string;
  /** Default `disable`. `require` encrypts without checking the certificate; `verify-ca` checks the CA; `verify-full` also the host name. */
  sslMode?: PostgresSslMode;
  /** Extra TLS settings (`ca`, `cert`, `key`) used when `sslMode` is not `disable`. */
  tls?: ConnectionOptions;
  /** Most connections the pool opens (pg `max`). Default 25. */
  maxConnections?: number;
  /** Connections kept open when idle (pg `min`; idle ones above it close after 10 s). Default 5. */
  idleConnections?: number;
  /** A connection is replaced after this long (pg `maxLifetimeSeconds`, rounded up). Default 300000 (5 min). */
  connectionLifetimeMs?: number;
  /** Gives up opening a connection after this long (pg `connectionTimeoutMillis`). Default 10000. */
  connectTimeoutMs?: number;
  /** Prefix of every table and index name, e.g. `gov_`. Default none. */
  tablePrefix?: string;
  /** Schema holding the tables; created when missing. Default `public`. */
  schema?: string;
}

/** Validated options with every default applied. */
export interface ResolvedPostgresOptions {
  pool: PostgresPool | undefined;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  ssl: false | ConnectionOptions;
  maxConnections: number;
  idleConnections: number;
  connectionLifetimeMs: number;
  connectTimeoutMs: number;
  tablePrefix: string;
  schema: string;
}

const CONNECTION_FIELDS = ['host', 'port', 'database', 'user', 'password', 'sslMode', 'tls'] as const;
const POOL_FIELDS = ['maxConnections', 'idleConnections', 'connectionLifetimeMs'] as const;
const KNOWN = new Set<string>(['connectionString', 'pool', ...CONNECTION_FIELDS, ...POOL_FIELDS, 'connectTimeoutMs', 'tablePrefix', 'schema']);

/** Checks the options, reading a connection string when given; throws `ValidationError` naming each bad field. */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  const c = new OptionChecker('PostgresStore options');
  if (typeof options !== 'object' || options === null) {
    c.fail('options', 'must be an object');
    c.done();
  }
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) c.fail(key, 'is not a PostgresStore option');
  const given = (keys: readonly string[]) => keys.filter((k) => (options as Record<string, unknown>)[k] !== undefined);

  const fromUrl: Partial<Record<'host' | 'port' | 'database' | 'user' | 'password' | 'sslMode' | 'connectTimeoutMs', unknown>> = {};
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== 'string') c.fail('connectionString', 'must be a string');
    else readConnectionString(c, options.connectionString, fromUrl);
    for (const k of given(CONNECTION_FIELDS.filter((f) => f !== 'tls'))) c.fail(k, 'cannot be combined with connectionString; put it in the URL');
  }
  if (options.pool !== undefined) {
    if (typeof options.pool !== 'object' || options.pool === null || typeof options.pool.connect !== 'function') {
      c.fail('pool', 'must be a pg.Pool');
    }
    for (const k of given(['connectionString', ...CONNECTION_FIELDS, ...POOL_FIELDS, 'connectTimeoutMs'])) {
      c.fail(k, 'cannot be combined with pool; configure the pool itself');
    }
  }

  const pick = <T>(key: keyof typeof fromUrl & keyof PostgresStoreOptions): T | undefined =>
    (options[key] ?? fromUrl[key]) as T | undefined;
  const sslMode = pick<unknown>('sslMode') ?? 'disable';
  if (!SSL_MODES.includes(sslMode as PostgresSslMode)) c.fail('sslMode', `must be one of ${SSL_MODES.join(', ')}`);
  const tls = options.tls;
  if (tls !== undefined && (typeof tls !== 'object' || tls === null)) c.fail('tls', 'must be an object of TLS settings');

  const maxConnections = c.integer('maxConnections', options.maxConnections, 1, 10_000, 25);
  const idleConnections = c.integer('idleConnections', options.idleConnections, 0, 10_000, Math.min(5, maxConnections));
  if (idleConnections > maxConnections) c.fail('idleConnections', 'must not exceed maxConnections');

  const resolved: ResolvedPostgresOptions = {
    pool: options.pool,
    host: c.text('host', pick('host')) ?? 'localhost',
    port: c.integer('port', pick('port'), 1, 65_535, 5432),
    database: c.text('database', pick('database')) ?? 'postgres',
    user: c.text('user', pick('user')) ?? 'postgres',
    password: typeof pick('password') === 'string' ? (pick('password') as string) : undefined,
    ssl: sslOption(sslMode as PostgresSslMode, tls),
    maxConnections,
    idleConnections,
    connectionLifetimeMs: c.integer('connectionLifetimeMs', options.connectionLifetimeMs, 0, 2_147_483_647, 300_000),
    connectTimeoutMs: c.integer('connectTimeoutMs', pick('connectTimeoutMs'), 1, 2_147_483_647, 10_000),
    tablePrefix: c.identifier('tablePrefix', options.tablePrefix, '', 30, true),
    schema: c.identifier('schema', options.schema, 'public', 63, false),
  };
  if (options.password !== undefined && typeof options.password !== 'string') c.fail('password', 'must be a string');
  c.done();
  return resolved;
}

function readConnectionString(c: OptionChecker, value: string, out: Record<string, unknown>): void {
  const url = parseUrl(c, 'connectionString', value, ['postgres:', 'postgresql:']);
  if (url === undefined) return;
  if (url.hostname !== '') out.host = urlPart(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port !== '') out.port = Number(url.port);
  const database = urlPart(url.pathname.replace(/^\//, ''));
  if (database !== undefined) out.database = database;
  if (url.username !== '') out.user = urlPart(url.username);
  if (url.password !== '') out.password = urlPart(url.password);
  for (const [key, v] of url.searchParams) {
    if (key === 'sslmode') {
      if (!SSL_MODES.includes(v as PostgresSslMode)) c.fail('connectionString', `sslmode must be one of ${SSL_MODES.join(', ')}`);
      else out.sslMode = v;
    } else if (key === 'connect_timeout') {
      const seconds = Number(v);
      if (!Number.isInteger(seconds) || seconds < 1) c.fail('connectionString', 'connect_timeout must be a whole number of seconds ≥ 1');
      else out.connectTimeoutMs = seconds * 1000;
    } else {
      c.fail('connectionString', `unknown parameter "${key}"; supported: sslmode, connect_timeout`);
    }
  }
}

/** pg's `ssl` option for a libpq SSL mode. */
function sslOption(mode: PostgresSslMode, tls: ConnectionOptions | undefined): false | ConnectionOptions {
  if (mode === 'disable') return false;
  if (mode === 'require') return { ...tls, rejectUnauthorized: false };
  if (mode === 'verify-ca') return { ...tls, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...tls, rejectUnauthorized: true };
}
