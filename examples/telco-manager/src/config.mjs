import { formatDuration, parseDuration } from '@governance/core';

/** A configuration problem; `message` is the one line the CLI prints, naming the variable. */
export class ConfigError extends Error {
  /** @param {string} variable @param {string} message */
  constructor(variable, message) {
    super(message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export const STORE_TYPES = ['memory', 'postgres', 'mysql', 'mongodb'];
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'];
/** `go`: the JSON Go programs decode (this example replaces the Go telco manager); `native`: the snake_case API. */
export const WIRE_PROFILES = ['go', 'native'];
/** pino's levels (`silent` turns logging off). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const DAY_MS = 86_400_000;
const TEN_MINUTES_MS = 600_000;
const MIN_INTERVAL_MS = 100;
const MIN_TIMEOUT_MS = 50;

/** The Go telco example's defaults (its README), per variable. */
export const ENV_DEFAULTS = Object.freeze({
  SERVER_PORT: '8080',
  HEALTH_CHECK_INTERVAL: '30s',
  HEALTH_CHECK_TIMEOUT: '5s',
  HEALTH_CHECK_RETRY: '3',
  NOTIFICATION_INTERVAL: '60s',
  NOTIFICATION_TIMEOUT: '5s',
  EVENT_QUEUE_SIZE: '1000',
  STORE_TYPE: 'memory',
  DB_HOST: 'localhost',
  DB_NAME: 'governance_db',
  DB_SSL_MODE: 'disable',
  WIRE_PROFILE: 'go',
  LOG_LEVEL: 'info',
  CLUSTER: 'auto',
  CLUSTER_LEASE: '5s',
});

/** Per store: default port, user and password when the DB_* variables leave them out. */
const STORE_DEFAULTS = {
  postgres: { port: 5432, user: 'postgres', password: 'postgres' },
  mysql: { port: 3306, user: 'root', password: undefined },
  mongodb: { port: 27017, user: undefined, password: undefined },
};

const URL_SCHEMES = {
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:'],
  mongodb: ['mongodb:', 'mongodb+srv:'],
};

function raw(env, name) {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function quoted(name, value) {
  return `${name}=${JSON.stringify(value)}`;
}

function integer(env, name, min, max, example = ENV_DEFAULTS[name]) {
  const text = raw(env, name) ?? ENV_DEFAULTS[name];
  if (!/^\d+$/.test(text.trim())) {
    throw new ConfigError(name, `telco-manager: ${quoted(name, text)} is not a whole number (example: ${example})`);
  }
  const value = Number(text.trim());
  if (value < min || value > max) {
    throw new ConfigError(name, `telco-manager: ${quoted(name, text)} is out of range (allowed: ${min} to ${max})`);
  }
  return value;
}

/** The manager's own bounds (it refuses shorter intervals and timeouts as probable unit mistakes). */
function duration(env, name, minMs, maxMs) {
  const text = raw(env, name) ?? ENV_DEFAULTS[name];
  let ms;
  try {
    ms = parseDuration(text.trim());
  } catch {
    throw new ConfigError(name, `telco-manager: ${quoted(name, text)} is not a Go duration (examples: 30s, 300ms, 1m30s)`);
  }
  const rounded = Math.round(ms);
  if (rounded < minMs || rounded > maxMs) {
    throw new ConfigError(
      name,
      `telco-manager: ${quoted(name, text)} is out of range (allowed: ${formatDuration(minMs)} to ${maxMs === DAY_MS ? '24h' : '10m'})`,
    );
  }
  return rounded;
}

function oneOf(env, name, allowed, fallback) {
  const text = raw(env, name) ?? fallback;
  const value = text.trim().toLowerCase();
  if (!allowed.includes(value)) {
    throw new ConfigError(name, `telco-manager: ${quoted(name, text)} is not one of ${allowed.join(', ')}`);
  }
  return value;
}

function storeConfig(env, type) {
  if (type === 'memory') return { type };
  const url = raw(env, 'DATABASE_URL');
  if (url !== undefined) {
    let scheme;
    try {
      scheme = new URL(url).protocol;
    } catch {
      throw new ConfigError('DATABASE_URL', `telco-manager: DATABASE_URL is not a URL (example: ${URL_SCHEMES[type][0]}//user:password@host/db)`);
    }
    if (!URL_SCHEMES[type].includes(scheme)) {
      throw new ConfigError(
        'DATABASE_URL',
        `telco-manager: DATABASE_URL starts with ${JSON.stringify(scheme)} but STORE_TYPE=${type} needs ${URL_SCHEMES[type].join(' or ')}`,
      );
    }
    return { type, url };
  }
  const defaults = STORE_DEFAULTS[type];
  return {
    type,
    host: raw(env, 'DB_HOST') ?? ENV_DEFAULTS.DB_HOST,
    port: raw(env, 'DB_PORT') === undefined ? defaults.port : integer(env, 'DB_PORT', 1, 65_535, String(defaults.port)),
    database: raw(env, 'DB_NAME') ?? ENV_DEFAULTS.DB_NAME,
    user: raw(env, 'DB_USER') ?? defaults.user,
    password: env.DB_PASSWORD !== undefined ? env.DB_PASSWORD : defaults.password,
    sslMode: oneOf(env, 'DB_SSL_MODE', SSL_MODES, ENV_DEFAULTS.DB_SSL_MODE),
  };
}

/**
 * Reads the telco manager's settings from environment variables (the Go telco example's names
 * and defaults, plus STORE_TYPE, DATABASE_URL, WIRE_PROFILE, LOG_LEVEL, CLUSTER and CLUSTER_LEASE). Pure: reads only `env`.
 *
 * @param {Record<string, string | undefined>} env
 * @returns {{ port: number, logLevel: string, manager: { healthCheckInterval: number, healthCheckTimeout: number,
 *   healthCheckRetry: number, notificationInterval: number, notificationTimeout: number,
 *   eventQueueSize: number, wireProfile: 'go' | 'native', cluster: 'auto' | false, clusterLease: number }, store: { type: string, url?: string, host?: string, port?: number,
 *   database?: string, user?: string, password?: string, sslMode?: string } }}
 * @throws {ConfigError} naming the first bad variable
 */
export function loadConfig(env) {
  const storeType = oneOf(env, 'STORE_TYPE', STORE_TYPES, ENV_DEFAULTS.STORE_TYPE);
  return {
    port: integer(env, 'SERVER_PORT', 0, 65_535),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, ENV_DEFAULTS.LOG_LEVEL),
    manager: {
      healthCheckInterval: duration(env, 'HEALTH_CHECK_INTERVAL', MIN_INTERVAL_MS, DAY_MS),
      healthCheckTimeout: duration(env, 'HEALTH_CHECK_TIMEOUT', MIN_TIMEOUT_MS, TEN_MINUTES_MS),
      healthCheckRetry: integer(env, 'HEALTH_CHECK_RETRY', 0, 10),
      notificationInterval: duration(env, 'NOTIFICATION_INTERVAL', MIN_INTERVAL_MS, DAY_MS),
      notificationTimeout: duration(env, 'NOTIFICATION_TIMEOUT', MIN_TIMEOUT_MS, TEN_MINUTES_MS),
      eventQueueSize: integer(env, 'EVENT_QUEUE_SIZE', 1, 10_000_000),
      wireProfile: oneOf(env, 'WIRE_PROFILE', WIRE_PROFILES, ENV_DEFAULTS.WIRE_PROFILE),
      // Several replicas on one PostgreSQL/MySQL database act as one registry (docs/cluster.md).
      cluster: oneOf(env, 'CLUSTER', ['auto', 'off'], ENV_DEFAULTS.CLUSTER) === 'off' ? false : 'auto',
      clusterLease: duration(env, 'CLUSTER_LEASE', 1_000, TEN_MINUTES_MS),
    },
    store: storeConfig(env, storeType),
  };
}

/** The store settings with the password hidden, for logs. */
export function describeStore(store) {
  if (store.type === 'memory') return 'memory';
  if (store.url !== undefined) {
    const url = new URL(store.url);
    if (url.password) url.password = '***';
    return `${store.type} ${url.href}`;
  }
  return `${store.type} ${store.user ?? ''}${store.user ? '@' : ''}${store.host}:${store.port}/${store.database} (ssl ${store.sslMode})`;
}
