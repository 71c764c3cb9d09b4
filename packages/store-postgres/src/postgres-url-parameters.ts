import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { UrlParameter, UrlParameterRules } from '@governance/sql-shared';

/** How the connection uses TLS, with libpq's meanings. */
export type PostgresSslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly PostgresSslMode[] = ['disable', 'require', 'verify-ca', 'verify-full'];

/** What the URL parameters below write into the settings read from the URL. */
export interface PostgresUrlSettings {
  sslMode?: PostgresSslMode;
  /** True once `sslmode` itself was given: it wins over `ssl` and `sslrootcert=system`. */
  sslModeGiven?: boolean;
  /** CA, client certificate and key read from the files the URL names. */
  tls?: ConnectionOptions;
  channelBinding?: boolean;
}

/** Reads a file a URL parameter names (libpq reads them the same way), or says why it could not. */
function fileParameter(name: string, field: 'ca' | 'cert' | 'key'): UrlParameter {
  return (path, out) => {
    const settings = out as PostgresUrlSettings;
    if (name === 'sslrootcert' && path === 'system') {
      if (!settings.sslModeGiven) settings.sslMode = 'verify-full';
      return undefined;
    }
    try {
      settings.tls = { ...settings.tls, [field]: readFileSync(path, 'utf8') };
      return undefined;
    } catch (error) {
      return `${name}: cannot read ${path} (${(error as Error).message})`;
    }
  };
}

/** Sets the TLS mode from `ssl=` unless `sslmode` was given. */
function sslFlag(mode: PostgresSslMode): UrlParameter {
  return (_value, out) => {
    const settings = out as PostgresUrlSettings;
    if (!settings.sslModeGiven) settings.sslMode = mode;
    return undefined;
  };
}

const SSL_FLAGS: Record<string, PostgresSslMode> = { true: 'verify-full', '1': 'verify-full', 'no-verify': 'require', false: 'disable', '0': 'disable' };

/**
 * The query parameters of a `postgres://` URL. The store interprets the TLS ones with libpq's
 * meanings, `channel_binding`, and `host` / `port` / `user` / `password` / `dbname` (which win
 * over the URL's own parts, as in libpq). Everything else — `application_name`, `options`,
 * `statement_timeout`, `sslnegotiation`, a provider's own parameters — goes to pg untouched, as
 * pg's own connection-string parser would hand it on; pg ignores what it does not know.
 */
export const POSTGRES_URL_RULES: UrlParameterRules = {
  interpreted: {
    sslmode(value, out) {
      if (value === 'allow' || value === 'prefer') {
        return `sslmode=${value} is not supported: pg cannot fall back between TLS and plain connections; use require or disable`;
      }
      if (!SSL_MODES.includes(value as PostgresSslMode)) return `sslmode must be one of ${SSL_MODES.join(', ')}`;
      Object.assign(out, { sslMode: value as PostgresSslMode, sslModeGiven: true } satisfies PostgresUrlSettings);
      return undefined;
    },
    ssl(value, out) {
      const mode = SSL_FLAGS[value];
      if (mode === undefined) return 'ssl must be true, false or no-verify (or use sslmode)';
      return sslFlag(mode)(value, out);
    },
    sslrootcert: fileParameter('sslrootcert', 'ca'),
    sslcert: fileParameter('sslcert', 'cert'),
    sslkey: fileParameter('sslkey', 'key'),
    sslpassword(value, out) {
      const settings = out as PostgresUrlSettings;
      settings.tls = { ...settings.tls, passphrase: value };
      return undefined;
    },
    channel_binding(value, out) {
      if (value !== 'require' && value !== 'prefer' && value !== 'disable') return 'channel_binding must be require, prefer or disable';
      (out as PostgresUrlSettings).channelBinding = value !== 'disable';
      return undefined;
    },
    host(value, out) {
      out.host = value;
      return undefined;
    },
    port(value, out) {
      out.port = Number(value);
      return undefined;
    },
    user(value, out) {
      out.user = value;
      return undefined;
    },
    password(value, out) {
      out.password = value;
      return undefined;
    },
    dbname(value, out) {
      out.database = value;
      return undefined;
    },
  },
  refused: {
    max: 'set maxConnections in the PostgresStore options',
    min: 'set idleConnections in the PostgresStore options',
    idleTimeoutMillis: 'the store manages idle connections itself',
    maxLifetimeSeconds: 'set the connection lifetime in the PostgresStore options',
    connectionTimeoutMillis: 'use connect_timeout (seconds) or the connectTimeoutMs option',
    allowExitOnIdle: 'the store sets it',
    binary: 'the store reads results in text format',
    client_encoding: 'the store needs UTF8, the default',
    types: 'custom type parsers cannot be given in a URL',
    stream: 'a custom stream cannot be given in a URL',
  },
};
