import { OptionChecker, parseUrl, urlPart } from './options-checks';

/** Default server-side limit of a write transaction's statements and lock waits. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;

/** The option fields both SQL stores read the same way. */
export interface CommonSqlOptions {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  maxConnections?: number;
  idleConnections?: number;
  idleTimeoutMs?: number;
  connectionLifetimeMs?: number;
  connectTimeoutMs?: number;
  tablePrefix?: string;
  statementTimeoutMs?: number;
}

/** The validated common settings, defaults applied. */
export interface CommonSqlSettings {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  maxConnections: number;
  idleConnections: number;
  idleTimeoutMs: number;
  connectionLifetimeMs: number;
  connectTimeoutMs: number;
  tablePrefix: string;
  /** Server-side limit of each statement and lock wait in a write transaction (ms); 0 = none. */
  statementTimeoutMs: number;
}

/**
 * Starts checking a store's options: refuses a non-object at once and names every unknown key.
 * Returns the checker and `given`, which keeps the keys that were set.
 * @param storeName the class (`PostgresStore`); @param packageName its package (`store-postgres`).
 */
export function startOptionCheck(
  storeName: string,
  packageName: string,
  options: unknown,
  known: ReadonlySet<string>,
): { c: OptionChecker; given: (keys: readonly string[]) => string[] } {
  const c = new OptionChecker(`${storeName} options`, packageName);
  if (typeof options !== 'object' || options === null) {
    c.fail('options', 'must be an object');
    c.done();
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!known.has(key)) c.fail(key, `is not a ${storeName} option`);
  return { c, given: (keys) => keys.filter((k) => record[k] !== undefined) };
}

/**
 * A query parameter a store interprets in its connection URL besides `connect_timeout`: stores
 * what it reads in `out`, or returns the problem to report.
 */
export type UrlParameter = (value: string, out: Record<string, unknown>) => string | undefined;

/** How a store reads the query parameters of its connection URL. */
export interface UrlParameterRules {
  /** Parameters the store interprets itself, checking their values. */
  interpreted: Record<string, UrlParameter>;
  /** Parameters the store refuses, with what to do instead (it sets them itself or relies on them). */
  refused: Record<string, string>;
}

/** A connection URL read by `readConnectionUrl`. */
export interface ConnectionUrl {
  /** Host, port, database, user, password, `connectTimeoutMs` and what the store's rules read. */
  settings: Record<string, unknown>;
  /** Every other query parameter, unchanged, for the driver (as its own URL parser would hand it on). */
  passThrough: Record<string, string>;
}

/**
 * Reads host, port, database, user, password and `connect_timeout` (seconds, as
 * `connectTimeoutMs`) from a connection URL, plus the parameters the store interprets. Refused
 * parameters are reported under `connectionString`; all others are passed through to the
 * driver untouched, so provider URLs (`application_name`, `channel_binding`, …) work as they are.
 */
export function readConnectionUrl(c: OptionChecker, value: string, protocols: string[], rules: UrlParameterRules): ConnectionUrl {
  const settings: Record<string, unknown> = {};
  const passThrough: Record<string, string> = {};
  // `user:password@/database?host=/socket/dir` (Cloud SQL, local sockets): no host in the URL
  // itself, which WHATWG URLs refuse after credentials, so parse it with a stand-in host.
  const noHost = /^[a-z][\w+.-]*:\/\/[^/?#]*@\//i.test(value);
  const url = parseUrl(c, 'connectionString', noHost ? value.replace('@/', '@no-host/') : value, protocols);
  if (url === undefined) return { settings, passThrough };
  if (url.hostname !== '' && !noHost) settings.host = urlPart(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (url.port !== '') settings.port = Number(url.port);
  const database = urlPart(url.pathname.replace(/^\//, ''));
  if (database !== undefined) settings.database = database;
  if (url.username !== '') settings.user = urlPart(url.username);
  if (url.password !== '') settings.password = urlPart(url.password);
  for (const [key, v] of url.searchParams) {
    const own = Object.hasOwn(rules.interpreted, key) ? rules.interpreted[key] : undefined;
    if (own !== undefined) {
      const problem = own(v, settings);
      if (problem !== undefined) c.fail('connectionString', problem);
    } else if (Object.hasOwn(rules.refused, key)) {
      c.fail('connectionString', `parameter "${key}" is not accepted: ${rules.refused[key]}`);
    } else if (key === 'connect_timeout') {
      const seconds = Number(v);
      if (!Number.isInteger(seconds) || seconds < 1) c.fail('connectionString', 'connect_timeout must be a whole number of seconds ≥ 1');
      else settings.connectTimeoutMs = seconds * 1000;
    } else {
      passThrough[key] = v;
    }
  }
  return { settings, passThrough };
}

/**
 * Checks the settings both SQL stores share, a field given directly winning over the same part
 * of the connection URL (`fromUrl`). Pool sizes default to the Go library's recommendation.
 */
export function resolveCommonSqlSettings(
  c: OptionChecker,
  options: CommonSqlOptions,
  fromUrl: Record<string, unknown>,
  defaults: { port: number; user: string },
): CommonSqlSettings {
  const pick = (key: keyof CommonSqlOptions): unknown => options[key] ?? fromUrl[key];
  const maxConnections = c.integer('maxConnections', options.maxConnections, 1, 10_000, 25);
  const idleConnections = c.integer('idleConnections', options.idleConnections, 0, 10_000, Math.min(5, maxConnections));
  if (idleConnections > maxConnections) c.fail('idleConnections', 'must not exceed maxConnections');
  const password = pick('password');
  if (options.password !== undefined && typeof options.password !== 'string') c.fail('password', 'must be a string');
  return {
    host: c.text('host', pick('host')) ?? 'localhost',
    port: c.integer('port', pick('port'), 1, 65_535, defaults.port),
    user: c.text('user', pick('user')) ?? defaults.user,
    password: typeof password === 'string' ? password : undefined,
    maxConnections,
    idleConnections,
    idleTimeoutMs: c.integer('idleTimeoutMs', options.idleTimeoutMs, 1, 2_147_483_647, 10_000),
    connectionLifetimeMs: c.integer('connectionLifetimeMs', options.connectionLifetimeMs, 0, 2_147_483_647, 300_000),
    connectTimeoutMs: c.integer('connectTimeoutMs', pick('connectTimeoutMs'), 1, 2_147_483_647, 10_000),
    tablePrefix: c.identifier('tablePrefix', options.tablePrefix, '', 30, true),
    statementTimeoutMs: c.integer('statementTimeoutMs', options.statementTimeoutMs, 0, 600_000, DEFAULT_STATEMENT_TIMEOUT_MS),
  };
}
