import { SqlRegistryStore, tableNames, type RegistryDatabase } from '@governance/sql-shared';
import { CompiledQuery, Kysely, MysqlDialect, type MysqlPool } from 'kysely';
import { createPool } from 'mysql2';
import { MySqlDialectAdapter } from './mysql-dialect';
import { withConnectionLifetime } from './mysql-pool-lifetime';
import { type MySqlStoreOptions, resolveMySqlOptions } from './mysql-options';
import { allowExitOnIdle } from './mysql-pool-exit';

/**
 * A `RegistryStore` on MariaDB / MySQL (Kysely + mysql2; verified against MariaDB 10.11). Tables `services` and
 * `subscriptions` (with the optional prefix) are created on first use by versioned migrations.
 * Timestamps are stored as UTC `datetime(3)`; key columns use a binary collation, so keys are
 * case-sensitive as in every other store. Each connection runs at READ COMMITTED, which keeps
 * concurrent registrations from deadlocking on gap locks.
 *
 * ```ts
 * const store = new MySqlStore({ connectionString: 'mysql://app:secret@db:3306/governance' });
 * ```
 *
 * Throws `ValidationError` naming the field for bad options; nothing connects until the first
 * call (or `migrate()` / `ping()`).
 */
export class MySqlStore extends SqlRegistryStore {
  constructor(options: MySqlStoreOptions = {}) {
    const o = resolveMySqlOptions(options);
    let pool: MysqlPool;
    let target: string;
    if (o.pool !== undefined) {
      pool = o.pool;
      const info = (o.pool as { config?: { connectionConfig?: { host?: string; port?: number; database?: string } } }).config
        ?.connectionConfig;
      target = `${info?.host ?? 'localhost'}:${info?.port ?? 3306}/${info?.database ?? '(pool)'}`;
    } else {
      const own = createPool({
        ...o.driverOptions,
        host: o.host,
        port: o.port,
        database: o.database,
        user: o.user,
        ...(o.password === undefined ? {} : { password: o.password }),
        ...(o.ssl === undefined ? {} : { ssl: o.ssl }),
        connectionLimit: o.maxConnections,
        maxIdle: o.idleConnections,
        idleTimeout: o.idleTimeoutMs,
        connectTimeout: o.connectTimeoutMs,
        timezone: 'Z',
        dateStrings: false,
        supportBigNumbers: true,
        enableKeepAlive: true,
        charset: 'UTF8MB4_BIN',
      });
      allowExitOnIdle(own);
      pool = withConnectionLifetime(own as unknown as Parameters<typeof withConnectionLifetime>[0], o.connectionLifetimeMs);
      target = `${o.host}:${o.port}/${o.database}`;
    }
    const dialect = new MySqlDialectAdapter(o.database, o.user);
    super({
      dialect,
      db: new Kysely<RegistryDatabase>({
        dialect: new MysqlDialect({
          pool,
          onCreateConnection: async (connection) => {
            await connection.executeQuery(CompiledQuery.raw('set session transaction isolation level read committed'));
            if (o.statementTimeoutMs > 0) await dialect.limitConnection(connection, o.statementTimeoutMs);
          },
        }),
      }),
      ownsPool: o.pool === undefined,
      tables: tableNames(o.tablePrefix),
      statementTimeoutMs: o.statementTimeoutMs,
      target,
      className: 'MySqlStore',
    });
  }
}
