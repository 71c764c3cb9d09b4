import type { ConnectionOptions } from 'node:tls';
import { readConnectionUrl, resolveCommonSqlSettings, startOptionCheck } from '@governance/sql-shared';
import type { PostgresPool } from 'kysely';
import { POSTGRES_URL_RULES, SSL_MODES, type PostgresSslMode, type PostgresUrlSettings } from './postgres-url-parameters';

export type { PostgresSslMode } from './postgres-url-parameters';

/**
 * Options of `PostgresStore`. Give connection settings (fields or `connectionString`) or an
 * existing `pool`, not both. Pool sizes default to the Go library's recommendation.
 */
export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:port/database?sslmode=require&connect_timeout=10`. TLS
   * (`sslmode`, `ssl`, `sslrootcert`, …) and `channel_binding` are read with libpq's meanings;
   * other parameters (`application_name`, `options`, …) are handed to pg as they are.
   */
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
  /** Connections kept open when idle (pg `min`). Default 5. */
  idleConnections?: number;
  /** An idle connection above `idleConnections` is closed after this long (pg `idleTimeoutMillis`). Default 10000. */
  idleTimeoutMs?: number;
  /**
   * Maximum lifetime of a connection: one this old is closed once it is idle and replaced when
   * needed (pg `maxLifetimeSeconds`, rounded up); 0 = no limit. Default 300000 (5 min), the Go
   * library's `ConnMaxLifetime`.
   */
  connectionLifetimeMs?: number;
  /** Gives up opening a connection after this long (pg `connectionTimeoutMillis`). Default 10000. */
  connectTimeoutMs?: number;
  /** Prefix of every table and index name, e.g. `gov_`. Default none. */
  tablePrefix?: string;
  /**
   * Server-side limit (ms) of each statement and each lock wait in a write: the server ends it and
   * the transaction is rolled back, so the write fails (HTTP 503 + Retry-After) with a definite
   * outcome instead of waiting as long as a lock is held. 0 turns it off. Default 5000.
   */
  statementTimeoutMs?: number;
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
  idleTimeoutMs: number;
  connectionLifetimeMs: number;
  connectTimeoutMs: number;
  tablePrefix: string;
  statementTimeoutMs: number;
  schema: string;
  /** `channel_binding` from the URL: use SCRAM-SHA-256-PLUS when the server offers it. */
  channelBinding: boolean | undefined;
  /** The URL's other query parameters, for pg as they are. */
  driverParameters: Record<string, string>;
}

const CONNECTION_FIELDS = ['host', 'port', 'database', 'user', 'password', 'sslMode', 'tls'] as const;
const POOL_FIELDS = ['maxConnections', 'idleConnections', 'idleTimeoutMs', 'connectionLifetimeMs'] as const;
const KNOWN = new Set<string>(['connectionString', 'pool', ...CONNECTION_FIELDS, ...POOL_FIELDS, 'connectTimeoutMs', 'tablePrefix', 'schema', 'statementTimeoutMs']);

/** Checks the options, reading a connection string when given; throws `ValidationError` naming each bad field. */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  const { c, given } = startOptionCheck('PostgresStore', 'store-postgres', options, KNOWN);

  let fromUrl: Record<string, unknown> & PostgresUrlSettings = {};
  let driverParameters: Record<string, string> = {};
  if (options.connectionString !== undefined) {
    if (typeof options.connectionString !== 'string') c.fail('connectionString', 'must be a string');
    else ({ settings: fromUrl, passThrough: driverParameters } = readConnectionUrl(c, options.connectionString, ['postgres:', 'postgresql:'], POSTGRES_URL_RULES));
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

  const sslMode = options.sslMode ?? fromUrl.sslMode ?? 'disable';
  if (!SSL_MODES.includes(sslMode as PostgresSslMode)) c.fail('sslMode', `must be one of ${SSL_MODES.join(', ')}`);
  const tls = options.tls;
  if (tls !== undefined && (typeof tls !== 'object' || tls === null)) c.fail('tls', 'must be an object of TLS settings');
  const tlsSettings = fromUrl.tls === undefined ? tls : { ...fromUrl.tls, ...tls };

  const resolved: ResolvedPostgresOptions = {
    pool: options.pool,
    database: c.text('database', options.database ?? fromUrl.database) ?? 'postgres',
    ...resolveCommonSqlSettings(c, options, fromUrl, { port: 5432, user: 'postgres' }),
    ssl: sslOption(sslMode as PostgresSslMode, tlsSettings),
    schema: c.identifier('schema', options.schema, 'public', 63, false),
    channelBinding: fromUrl.channelBinding,
    driverParameters,
  };
  c.done();
  return resolved;
}

/** pg's `ssl` option for a libpq SSL mode. */
function sslOption(mode: PostgresSslMode, tls: ConnectionOptions | undefined): false | ConnectionOptions {
  if (mode === 'disable') return false;
  if (mode === 'require') return { ...tls, rejectUnauthorized: false };
  if (mode === 'verify-ca') return { ...tls, rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return { ...tls, rejectUnauthorized: true };
}
