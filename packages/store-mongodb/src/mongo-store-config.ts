import { ValidationError, type FieldError } from '@governance/core';
import { MongoClient, type MongoClientOptions } from 'mongodb';

/** How `saveService`, `deleteService` and `applyBatch` group their writes. */
export type MongoTransactionMode = 'auto' | 'always' | 'never';

/** Options shared by both ways of creating a `MongoStore`. */
export interface MongoStoreCommonOptions {
  /**
   * Prepended to the collection names (`${prefix}services`, `${prefix}subscriptions`), so several
   * registries can share one database. Letters, digits, `_`, `-` and `.`; default none.
   */
  collectionPrefix?: string;
  /**
   * `'auto'` (default): use a multi-document transaction when the deployment supports one
   * (replica set or sharded cluster, detected with the `hello` command), otherwise the ordered
   * writes described in the README. `'always'` / `'never'` skip the detection.
   */
  transactions?: MongoTransactionMode;
}

/** Let the store create (and later close) its own `MongoClient`. */
export interface MongoStoreUriOptions extends MongoStoreCommonOptions {
  /** `mongodb://…` or `mongodb+srv://…` connection string. Options in its query string are honoured. */
  uri: string;
  /** Database to use. Defaults to the database in the URI path (`mongodb://host/governance`). */
  database?: string;
  /** TCP connect timeout in milliseconds (driver `connectTimeoutMS`). Default 10 000. */
  connectTimeoutMs?: number;
  /**
   * How long an operation waits for a usable server before failing, in milliseconds (driver
   * `serverSelectionTimeoutMS`). Default 10 000, so an unreachable database fails calls promptly.
   */
  serverSelectionTimeoutMs?: number;
  /** Largest number of pooled connections (driver `maxPoolSize`, 0 = no limit). Default 100. */
  maxPoolSize?: number;
  /** Connections kept open even when idle (driver `minPoolSize`). Default 10. */
  minPoolSize?: number;
  /** Further driver options (TLS, auth mechanism, …). The named options above take precedence. */
  clientOptions?: MongoClientOptions;
}

/** Use a `MongoClient` the host already created; the store never closes it. */
export interface MongoStoreClientOptions extends MongoStoreCommonOptions {
  client: MongoClient;
  /** Database to use (required: a client's default database is easily `test` by accident). */
  database: string;
}

/** Options of `new MongoStore(…)`: a connection string, or an existing client. */
export type MongoStoreOptions = MongoStoreUriOptions | MongoStoreClientOptions;

/** The defaults applied when neither the options nor the URI query string set a value. */
export const MONGO_DEFAULTS = Object.freeze({
  connectTimeoutMs: 10_000,
  serverSelectionTimeoutMs: 10_000,
  maxPoolSize: 100,
  minPoolSize: 10,
  transactions: 'auto' as MongoTransactionMode,
});

/** What the store works with once its options are checked. */
export interface ResolvedMongoConfig {
  client: MongoClient;
  /** True when the store created the client and therefore closes it. */
  ownsClient: boolean;
  database: string;
  collectionPrefix: string;
  transactions: MongoTransactionMode;
}

const CONTEXT = 'MongoStore options';
const PACKAGE = 'store-mongodb';
const URI_ONLY = ['connectTimeoutMs', 'serverSelectionTimeoutMs', 'maxPoolSize', 'minPoolSize', 'clientOptions'] as const;
const DRIVER_NAMES = {
  connectTimeoutMs: 'connectTimeoutMS',
  serverSelectionTimeoutMs: 'serverSelectionTimeoutMS',
  maxPoolSize: 'maxPoolSize',
  minPoolSize: 'minPoolSize',
} as const;

/**
 * Checks the options and builds (without connecting) the client the store will use.
 * @throws ValidationError naming every bad field.
 */
export function resolveMongoConfig(options: MongoStoreOptions): ResolvedMongoConfig {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError([{ path: '', message: 'pass an options object: { uri, database? } or { client, database }' }], { context: CONTEXT, package: PACKAGE });
  }
  const raw = options as unknown as Record<string, unknown>;
  const errors: FieldError[] = [];
  const collectionPrefix = checkPrefix(raw.collectionPrefix, errors);
  const transactions = checkTransactions(raw.transactions, errors);

  if (raw.client !== undefined) {
    if (raw.uri !== undefined) errors.push({ path: 'client', message: 'pass either uri or client, not both' });
    if (!(raw.client instanceof MongoClient)) errors.push({ path: 'client', message: 'must be a MongoClient from the mongodb package' });
    for (const name of URI_ONLY) {
      if (raw[name] !== undefined) {
        errors.push({ path: name, message: 'only applies when the store creates the client from uri; configure the MongoClient you pass instead' });
      }
    }
    const database = checkDatabase(raw.database, 'database', errors, 'is required with client: name the database the registry uses');
    if (errors.length > 0) throw new ValidationError(errors, { context: CONTEXT, package: PACKAGE });
    return { client: raw.client as MongoClient, ownsClient: false, database, collectionPrefix, transactions };
  }

  if (typeof raw.uri !== 'string' || !/^mongodb(\+srv)?:\/\/./.test(raw.uri)) {
    errors.push({ path: 'uri', message: 'is required (or pass client): a mongodb://host:27017/database or mongodb+srv://… connection string' });
    throw new ValidationError(errors, { context: CONTEXT, package: PACKAGE });
  }
  const uri = raw.uri;
  const fromPath = databaseInUri(uri);
  const database =
    raw.database !== undefined || fromPath === ''
      ? checkDatabase(raw.database, 'database', errors, 'is required: pass database or put it in the uri path (mongodb://host:27017/governance)')
      : checkDatabase(fromPath, 'uri', errors, 'names no database');
  const inUri = uriOptionNames(uri);
  const driverOptions: MongoClientOptions = {};
  if (raw.clientOptions !== undefined) {
    if (raw.clientOptions === null || typeof raw.clientOptions !== 'object') {
      errors.push({ path: 'clientOptions', message: 'must be an object of MongoClient options' });
    } else {
      Object.assign(driverOptions, raw.clientOptions);
    }
  }
  for (const [name, driverName] of Object.entries(DRIVER_NAMES) as [keyof typeof DRIVER_NAMES, string][]) {
    const value = raw[name];
    const min = name === 'connectTimeoutMs' || name === 'serverSelectionTimeoutMs' ? 1 : 0;
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2_147_483_647) {
        errors.push({ path: name, message: `must be an integer ≥ ${min}` });
      } else {
        (driverOptions as Record<string, unknown>)[driverName] = value;
      }
    } else if (!inUri.has(driverName.toLowerCase()) && (driverOptions as Record<string, unknown>)[driverName] === undefined) {
      (driverOptions as Record<string, unknown>)[driverName] = MONGO_DEFAULTS[name];
    }
  }
  if (errors.length > 0) throw new ValidationError(errors, { context: CONTEXT, package: PACKAGE });

  const minIsDefault = raw.minPoolSize === undefined && !inUri.has('minpoolsize') && driverOptions.minPoolSize === MONGO_DEFAULTS.minPoolSize;
  let client = buildClient(uri, driverOptions);
  const { maxPoolSize, minPoolSize } = client.options;
  if (maxPoolSize > 0 && minPoolSize > maxPoolSize) {
    if (!minIsDefault) {
      const path = raw.minPoolSize === undefined && inUri.has('minpoolsize') ? 'uri' : 'minPoolSize';
      throw new ValidationError([{ path, message: `minPoolSize may not exceed maxPoolSize (${minPoolSize} > ${maxPoolSize})` }], { context: CONTEXT, package: PACKAGE });
    }
    // The default minimum shrinks to a smaller maximum the user chose.
    client = buildClient(uri, { ...driverOptions, minPoolSize: maxPoolSize });
  }
  return { client, ownsClient: true, database, collectionPrefix, transactions };
}

function buildClient(uri: string, options: MongoClientOptions): MongoClient {
  try {
    return new MongoClient(uri, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ValidationError([{ path: 'uri', message: `the driver rejected the connection string or its options: ${message}` }], { context: CONTEXT, package: PACKAGE, cause: error });
  }
}

/** The database named in the URI path, decoded, or `''` when there is none. */
export function databaseInUri(uri: string): string {
  const rest = uri.slice(uri.indexOf('://') + 3);
  const query = rest.indexOf('?');
  const beforeQuery = query === -1 ? rest : rest.slice(0, query);
  const slash = beforeQuery.indexOf('/', beforeQuery.lastIndexOf('@') + 1);
  if (slash === -1) return '';
  try {
    return decodeURIComponent(beforeQuery.slice(slash + 1));
  } catch {
    return beforeQuery.slice(slash + 1);
  }
}

function uriOptionNames(uri: string): Set<string> {
  const query = uri.indexOf('?');
  const names = new Set<string>();
  if (query === -1) return names;
  for (const key of new URLSearchParams(uri.slice(query + 1)).keys()) names.add(key.toLowerCase());
  return names;
}

const BAD_DATABASE_CHARS = /[/\\. "$*<>:|?\0]/;

function checkDatabase(value: unknown, path: string, errors: FieldError[], missing: string): string {
  if (value === undefined || value === '') {
    errors.push({ path, message: missing });
    return '';
  }
  if (typeof value !== 'string') {
    errors.push({ path, message: 'must be a string' });
    return '';
  }
  if (BAD_DATABASE_CHARS.test(value) || Buffer.byteLength(value) > 63) {
    errors.push({ path, message: `"${value}" is not a valid MongoDB database name (at most 63 bytes, none of / \\ . space " $ * < > : | ?)` });
  }
  return value;
}

function checkPrefix(value: unknown, errors: FieldError[]): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{0,64}$/.test(value) || value.startsWith('system.')) {
    errors.push({ path: 'collectionPrefix', message: 'must be up to 64 letters, digits, _, - or . and may not start with "system."' });
    return '';
  }
  return value;
}

function checkTransactions(value: unknown, errors: FieldError[]): MongoTransactionMode {
  if (value === undefined) return MONGO_DEFAULTS.transactions;
  if (value !== 'auto' && value !== 'always' && value !== 'never') {
    errors.push({ path: 'transactions', message: "must be 'auto', 'always' or 'never'" });
    return MONGO_DEFAULTS.transactions;
  }
  return value;
}
