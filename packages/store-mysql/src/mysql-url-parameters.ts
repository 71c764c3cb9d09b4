import type { UrlParameterRules } from '@governance/sql-shared';
import type { SslOptions } from 'mysql2';

/** TLS settings for the `ssl-mode` values of the MySQL clients (and of Aiven / DigitalOcean URLs). */
const SSL_MODES: Record<string, SslOptions | false> = {
  DISABLED: false,
  REQUIRED: { rejectUnauthorized: false },
  VERIFY_CA: { rejectUnauthorized: true, checkServerIdentity: () => undefined } as SslOptions,
  VERIFY_IDENTITY: { rejectUnauthorized: true },
};

/** TLS settings for Prisma's `sslaccept` (PlanetScale, TiDB Cloud URLs). */
const SSL_ACCEPT: Record<string, SslOptions> = {
  strict: { rejectUnauthorized: true },
  accept_invalid_certs: { rejectUnauthorized: false },
};

/** The SSL profile mysql2 knows by name (`ssl=Amazon RDS`). */
const SSL_PROFILES = ['Amazon RDS'];

function sslMode(value: string, out: Record<string, unknown>): string | undefined {
  const mode = value.toUpperCase();
  if (mode === 'PREFERRED') {
    return 'ssl-mode=PREFERRED is not supported: mysql2 cannot fall back between TLS and plain connections; use REQUIRED or DISABLED';
  }
  const ssl = SSL_MODES[mode];
  if (ssl === undefined) return `ssl-mode must be one of ${Object.keys(SSL_MODES).join(', ')}`;
  out.ssl = ssl;
  return undefined;
}

const RELIES_ON = 'the store relies on the setting it makes itself';

/**
 * The query parameters of a `mysql://` URL. The store interprets TLS in the forms providers
 * print (`ssl=true`, mysql2's `ssl={"rejectUnauthorized":true}` or `ssl=Amazon RDS`, the MySQL
 * clients' `ssl-mode=REQUIRED`, Prisma's `sslaccept=strict`) and the connect timeout
 * (`connect_timeout` seconds or mysql2's `connectTimeout` ms). It refuses what would change the
 * results it reads (time zone, result types) and pool settings that are store options. Every
 * other parameter goes to mysql2 as its own URL parser hands it on (a JSON value parsed, else the
 * text); mysql2 warns about names it does not know.
 */
export const MYSQL_URL_RULES: UrlParameterRules = {
  interpreted: {
    ssl(value, out) {
      if (value === 'true' || value === 'false') out.ssl = value === 'true';
      else if (SSL_PROFILES.includes(value)) out.ssl = value;
      else if (value.startsWith('{')) {
        try {
          const parsed: unknown = JSON.parse(value);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          out.ssl = parsed;
        } catch {
          return 'ssl must be true, false, a JSON object of TLS settings such as {"rejectUnauthorized":true}, or "Amazon RDS"';
        }
      } else return 'ssl must be true, false, a JSON object of TLS settings such as {"rejectUnauthorized":true}, or "Amazon RDS"';
      return undefined;
    },
    'ssl-mode': sslMode,
    sslmode: sslMode,
    sslaccept(value, out) {
      const ssl = SSL_ACCEPT[value];
      if (ssl === undefined) return 'sslaccept must be strict or accept_invalid_certs';
      out.ssl = ssl;
      return undefined;
    },
    connectTimeout(value, out) {
      const ms = Number(value);
      if (!Number.isInteger(ms) || ms < 1) return 'connectTimeout must be a whole number of milliseconds ≥ 1';
      out.connectTimeoutMs = ms;
      return undefined;
    },
    timezone(value) {
      return ['Z', 'UTC', '+00:00'].includes(value) ? undefined : `timezone=${value} is not accepted: the store keeps timestamps in UTC and sets timezone 'Z' itself`;
    },
  },
  refused: {
    host: 'mysql2 ignores it in the query; put the host in the URL itself (mysql://user:password@host:port/database)',
    port: 'mysql2 ignores it in the query; put the port in the URL itself',
    user: 'mysql2 ignores it in the query; put the user in the URL itself',
    password: 'mysql2 ignores it in the query; put the password in the URL itself',
    database: 'mysql2 ignores it in the query; put the database in the URL path',
    connectionLimit: 'set maxConnections in the MySqlStore options',
    maxIdle: 'set idleConnections in the MySqlStore options',
    idleTimeout: 'set the idle connection lifetime in the MySqlStore options',
    charset: `${RELIES_ON} (UTF8MB4_BIN)`,
    charsetNumber: `${RELIES_ON} (UTF8MB4_BIN)`,
    dateStrings: `${RELIES_ON} (dates as Date objects)`,
    typeCast: `${RELIES_ON} (mysql2's default type casting)`,
    supportBigNumbers: RELIES_ON,
    bigNumberStrings: RELIES_ON,
    decimalNumbers: RELIES_ON,
    jsonStrings: RELIES_ON,
    rowsAsArray: RELIES_ON,
    nestTables: RELIES_ON,
    namedPlaceholders: RELIES_ON,
    queryFormat: RELIES_ON,
    flags: `${RELIES_ON} (mysql2's default client flags: FOUND_ROWS makes updates report matched rows)`,
    pool: 'cannot be given in a URL; pass the pool option instead',
    stream: 'cannot be given in a URL',
    uri: 'cannot be given in a URL',
  },
};

/** A passed-through parameter's value as mysql2's own URL parser reads it: JSON when it parses, else the text. */
export function mysql2UrlValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
