/**
 * Connection strings as hosted PostgreSQL providers print them are accepted: the TLS and auth
 * parameters are read with libpq's meanings, everything else is handed to pg. (Parsing only:
 * these hosts are not contacted; one pass-through is checked against the local server below.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresStore } from '@governance/store-postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePostgresOptions } from '../src/postgres-options';
import { POSTGRES_URL, postgresSkip } from './postgres-test-env';

const NO_VERIFY = { rejectUnauthorized: false };
const VERIFY_FULL = { rejectUnauthorized: true };

const certs = mkdtempSync(join(tmpdir(), 'gov-pg-certs-'));
writeFileSync(join(certs, 'global-bundle.pem'), '-----BEGIN CERTIFICATE-----\nRDS\n-----END CERTIFICATE-----\n');
afterAll(() => rmSync(certs, { recursive: true, force: true }));

const PROVIDERS: Array<[provider: string, url: string, expected: Record<string, unknown>]> = [
  [
    'Neon',
    'postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require&channel_binding=require',
    { host: 'ep-cool-darkness-123456.us-east-2.aws.neon.tech', port: 5432, database: 'dbname', user: 'alex', ssl: NO_VERIFY, channelBinding: true, driverParameters: {} },
  ],
  [
    'Supabase (transaction pooler, Prisma flags)',
    'postgres://postgres.abcdefghijklmnop:s3cret@aws-0-us-west-1.pooler.supabase.com:6543/postgres?pgbouncer=true&connection_limit=1',
    { host: 'aws-0-us-west-1.pooler.supabase.com', port: 6543, user: 'postgres.abcdefghijklmnop', ssl: false, driverParameters: { pgbouncer: 'true', connection_limit: '1' } },
  ],
  [
    'AWS RDS (verify-full with the RDS CA bundle)',
    `postgres://admin:pw@mydb.123456789012.us-east-1.rds.amazonaws.com:5432/postgres?sslmode=verify-full&sslrootcert=${join(certs, 'global-bundle.pem')}`,
    { host: 'mydb.123456789012.us-east-1.rds.amazonaws.com', ssl: { ca: '-----BEGIN CERTIFICATE-----\nRDS\n-----END CERTIFICATE-----\n', rejectUnauthorized: true } },
  ],
  [
    'Heroku / JDBC style ssl=true',
    'postgres://u:p@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1b2c3?ssl=true',
    { database: 'd1b2c3', ssl: VERIFY_FULL },
  ],
  [
    'Aiven',
    'postgres://avnadmin:pw@pg-3b8d4ed6-myproject.aivencloud.com:12691/defaultdb?sslmode=require',
    { port: 12691, database: 'defaultdb', ssl: NO_VERIFY },
  ],
  [
    'DigitalOcean',
    'postgresql://doadmin:pw@db-postgresql-nyc3-12345-do-user-1-0.b.db.ondigitalocean.com:25060/defaultdb?sslmode=require',
    { port: 25060, user: 'doadmin', ssl: NO_VERIFY },
  ],
  [
    'Azure (user name with @server)',
    'postgres://gov%40myserver:pw@myserver.postgres.database.azure.com:5432/registry?sslmode=require',
    { user: 'gov@myserver', ssl: NO_VERIFY },
  ],
  [
    'CockroachDB Cloud (options passed through)',
    'postgresql://gov:pw@free-tier.gcp-us-central1.cockroachlabs.cloud:26257/defaultdb?sslmode=verify-full&options=--cluster%3Dmy-cluster-123',
    { port: 26257, ssl: VERIFY_FULL, driverParameters: { options: '--cluster=my-cluster-123' } },
  ],
  [
    'Google Cloud SQL through its socket (host in the query)',
    'postgres://gov:pw@/registry?host=/cloudsql/project:region:instance',
    { host: '/cloudsql/project:region:instance', database: 'registry', user: 'gov', ssl: false },
  ],
  [
    'Render / Railway (no parameters)',
    'postgresql://gov:pw@dpg-abc123-a.oregon-postgres.render.com/registry_db',
    { host: 'dpg-abc123-a.oregon-postgres.render.com', port: 5432, ssl: false, channelBinding: undefined, driverParameters: {} },
  ],
  [
    'any URL with libpq session settings',
    'postgres://gov@db:5432/registry?application_name=registry-eu&statement_timeout=5000&sslnegotiation=direct&sslmode=verify-full&sslrootcert=system',
    { ssl: VERIFY_FULL, driverParameters: { application_name: 'registry-eu', statement_timeout: '5000', sslnegotiation: 'direct' } },
  ],
];

describe('PostgresStore connection strings from hosted providers', () => {
  it.each(PROVIDERS)('%s', (_provider, connectionString, expected) => {
    expect(resolvePostgresOptions({ connectionString })).toMatchObject(expected);
    expect(() => new PostgresStore({ connectionString }).close()).not.toThrow();
  });

  it('reads sslrootcert=system as verify-full, and lets an explicit sslmode win over ssl=', () => {
    expect(resolvePostgresOptions({ connectionString: 'postgres://h/db?sslrootcert=system' }).ssl).toEqual(VERIFY_FULL);
    expect(resolvePostgresOptions({ connectionString: 'postgres://h/db?sslmode=require&ssl=true' }).ssl).toEqual(NO_VERIFY);
    expect(resolvePostgresOptions({ connectionString: 'postgres://h/db?ssl=no-verify' }).ssl).toEqual(NO_VERIFY);
    expect(resolvePostgresOptions({ connectionString: 'postgres://h/db?channel_binding=disable' }).channelBinding).toBe(false);
  });

  it('refuses what pg cannot do or the store sets itself, saying what to do instead', () => {
    const refused: Array<[string, RegExp]> = [
      ['sslmode=prefer', /sslmode=prefer is not supported: pg cannot fall back .* use require or disable/],
      ['ssl=maybe', /ssl must be true, false or no-verify/],
      ['channel_binding=always', /channel_binding must be require, prefer or disable/],
      ['max=3', /parameter "max" is not accepted: set maxConnections in the PostgresStore options/],
      ['client_encoding=LATIN1', /parameter "client_encoding" is not accepted: the store needs UTF8/],
      ['sslrootcert=/nowhere/ca.pem', /sslrootcert: cannot read \/nowhere\/ca\.pem/],
    ];
    for (const [query, message] of refused) {
      expect(() => new PostgresStore({ connectionString: `postgres://h/db?${query}` }), query).toThrow(message);
    }
  });
});

const skip = await postgresSkip();
describe.skipIf(skip !== undefined)('a passed-through parameter reaches the server', () => {
  it('application_name from the URL is the session\'s application name', async () => {
    const name = `gov-url-${process.pid}`;
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('application_name', name);
    const store = new PostgresStore({ connectionString: url.toString(), maxConnections: 1, idleConnections: 1 });
    const raw = new pg.Client({ connectionString: POSTGRES_URL });
    await raw.connect();
    try {
      await store.ping();
      const seen = await raw.query<{ n: string }>('select count(*) as n from pg_stat_activity where application_name = $1', [name]);
      expect(Number(seen.rows[0]!.n)).toBe(1);
    } finally {
      await store.close();
      await raw.end();
    }
  });
});
