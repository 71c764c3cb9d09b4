/**
 * Connection strings as hosted MySQL providers print them are accepted: TLS in each provider's
 * form is read by the store, other parameters go to mysql2. (Parsing only: these hosts are not
 * contacted; one pass-through is checked with the local server below.)
 */
import { MySqlStore } from '@governance/store-mysql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveMySqlOptions } from '../src/mysql-options';
import { MYSQL_URL, mysqlSkip } from './mysql-test-env';

const PROVIDERS: Array<[provider: string, url: string, expected: Record<string, unknown>]> = [
  [
    'PlanetScale (mysql2 form)',
    'mysql://gov:pscale_pw_abc@aws.connect.psdb.cloud/registry?ssl={"rejectUnauthorized":true}',
    { host: 'aws.connect.psdb.cloud', port: 3306, database: 'registry', user: 'gov', ssl: { rejectUnauthorized: true }, driverOptions: {} },
  ],
  [
    'PlanetScale / TiDB Cloud (Prisma form)',
    'mysql://2abc.root:pw@gateway01.us-west-2.prod.aws.tidbcloud.com:4000/test?sslaccept=strict',
    { port: 4000, user: '2abc.root', ssl: { rejectUnauthorized: true } },
  ],
  [
    'TiDB Cloud (mysql2 form with a TLS version)',
    'mysql://2abc.root:pw@gateway01.us-west-2.prod.aws.tidbcloud.com:4000/test?ssl=%7B%22minVersion%22%3A%22TLSv1.2%22%2C%22rejectUnauthorized%22%3Atrue%7D',
    { ssl: { minVersion: 'TLSv1.2', rejectUnauthorized: true } },
  ],
  [
    'Aiven',
    'mysql://avnadmin:pw@mysql-1a2b3c4d-myproject.aivencloud.com:12691/defaultdb?ssl-mode=REQUIRED',
    { port: 12691, database: 'defaultdb', ssl: { rejectUnauthorized: false } },
  ],
  [
    'DigitalOcean',
    'mysql://doadmin:pw@db-mysql-nyc3-12345-do-user-1-0.b.db.ondigitalocean.com:25060/defaultdb?ssl-mode=REQUIRED',
    { port: 25060, user: 'doadmin', ssl: { rejectUnauthorized: false } },
  ],
  [
    'AWS RDS (the mysql2 profile)',
    'mysql://admin:pw@mydb.123456789012.us-east-1.rds.amazonaws.com:3306/registry?ssl=Amazon%20RDS',
    { host: 'mydb.123456789012.us-east-1.rds.amazonaws.com', ssl: 'Amazon RDS' },
  ],
  [
    'Azure (ssl=true)',
    'mysql://gov:pw@myserver.mysql.database.azure.com:3306/registry?ssl=true',
    { ssl: {} },
  ],
  [
    'Railway (no parameters)',
    'mysql://root:pw@containers-us-west-1.railway.app:6543/railway',
    { port: 6543, database: 'railway', ssl: undefined, driverOptions: {} },
  ],
  [
    'a local socket and mysql2 options',
    'mysql://gov:pw@localhost/registry?socketPath=/run/mysqld/mysqld.sock&multipleStatements=false&connectAttributes={"program_name":"registry"}&ssl-mode=disabled&connectTimeout=2500',
    {
      ssl: undefined,
      connectTimeoutMs: 2500,
      driverOptions: { socketPath: '/run/mysqld/mysqld.sock', multipleStatements: false, connectAttributes: { program_name: 'registry' } },
    },
  ],
];

describe('MySqlStore connection strings from hosted providers', () => {
  it.each(PROVIDERS)('%s', (_provider, connectionString, expected) => {
    const options = resolveMySqlOptions({ connectionString });
    expect(options).toMatchObject(expected);
    if (expected.ssl === undefined) expect(options.ssl).toBeUndefined();
    void new MySqlStore({ connectionString }).close();
  });

  it('reads each ssl-mode the MySQL clients know', () => {
    const ssl = (mode: string) => resolveMySqlOptions({ connectionString: `mysql://h/db?ssl-mode=${mode}` }).ssl;
    expect(ssl('DISABLED')).toBeUndefined();
    expect(ssl('required')).toEqual({ rejectUnauthorized: false });
    expect(ssl('VERIFY_IDENTITY')).toEqual({ rejectUnauthorized: true });
    const verifyCa = ssl('VERIFY_CA') as { rejectUnauthorized: boolean; checkServerIdentity: () => unknown };
    expect([verifyCa.rejectUnauthorized, verifyCa.checkServerIdentity()]).toEqual([true, undefined]);
  });

  it('refuses what would change the results the store reads or belongs in its options, saying what to do', () => {
    const refused: Array<[string, RegExp]> = [
      ['ssl-mode=PREFERRED', /ssl-mode=PREFERRED is not supported: mysql2 cannot fall back .* use REQUIRED or DISABLED/],
      ['ssl=maybe', /ssl must be true, false, a JSON object of TLS settings/],
      ['timezone=local', /timezone=local is not accepted: the store keeps timestamps in UTC/],
      ['dateStrings=true', /parameter "dateStrings" is not accepted: the store relies on the setting it makes itself/],
      ['flags=-FOUND_ROWS', /parameter "flags" is not accepted/],
      ['charset=latin1', /parameter "charset" is not accepted/],
      ['connectionLimit=5', /parameter "connectionLimit" is not accepted: set maxConnections in the MySqlStore options/],
      ['host=other', /parameter "host" is not accepted: mysql2 ignores it in the query/],
    ];
    for (const [query, message] of refused) {
      expect(() => new MySqlStore({ connectionString: `mysql://h/db?${query}` }), query).toThrow(message);
    }
    expect(resolveMySqlOptions({ connectionString: 'mysql://h/db?timezone=Z' }).driverOptions).toEqual({});
  });
});

const skip = await mysqlSkip();
describe.skipIf(skip !== undefined)('a passed-through parameter reaches mysql2', () => {
  afterEach(() => vi.restoreAllMocks());

  it('mysql2 receives the URL\'s other parameters (and names one it does not know), and the store works', async () => {
    const warnings: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
    const url = new URL(MYSQL_URL);
    url.searchParams.set('enableKeepAlive', 'true');
    url.searchParams.set('governance_probe', '1');
    const store = new MySqlStore({ connectionString: url.toString(), maxConnections: 1 });
    try {
      await store.ping();
    } finally {
      await store.close();
    }
    expect(warnings.filter((w) => w.includes('invalid configuration option'))).toEqual([
      expect.stringContaining('Ignoring invalid configuration option passed to Connection: governance_probe'),
    ]);
  });
});
