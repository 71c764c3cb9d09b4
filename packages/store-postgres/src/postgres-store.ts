import { SqlRegistryStore, tableNames, type ChangeListener, type RegistryDatabase } from '@governance/sql-shared';
import { Kysely, type PostgresPool } from 'kysely';
import pg from 'pg';
import { guardClients } from './pg-client-guard';
import { PostgresDialectAdapter } from './postgres-dialect';
import { changeChannel, PostgresListener } from './postgres-listener';
import { SchemaScopedPostgresDialect } from './postgres-schema-dialect';
import { type PostgresStoreOptions, resolvePostgresOptions } from './postgres-options';

/**
 * A `RegistryStore` on PostgreSQL (Kysely + pg). Tables `services` and `subscriptions` (with the
 * optional prefix, in the optional schema) and the cluster tables (`governance_log`, …) are
 * created on first use by versioned migrations. It supports cluster mode: every write is logged
 * (`changeFeed`), `changeFeed.watch` LISTENs for commits on a dedicated connection, and
 * `membership` keeps leases on the database clock (see docs/cluster.md).
 *
 * ```ts
 * const store = new PostgresStore({ connectionString: 'postgres://app@db:5432/governance' });
 * ```
 *
 * Throws `ValidationError` naming the field for bad options; nothing connects until the first
 * call (or `migrate()` / `ping()`).
 */
export class PostgresStore extends SqlRegistryStore {
  constructor(options: PostgresStoreOptions = {}) {
    const o = resolvePostgresOptions(options);
    let pool: PostgresPool;
    let target: string;
    let listenWith: pg.ClientConfig | undefined;
    if (o.pool !== undefined) {
      pool = guardClients(o.pool);
      target = describePool(o.pool);
      listenWith = (o.pool as { options?: pg.ClientConfig }).options;
    } else {
      listenWith = {
        application_name: 'governance',
        ...o.driverParameters,
        host: o.host,
        port: o.port,
        database: o.database,
        user: o.user,
        password: o.password,
        ssl: o.ssl,
        connectionTimeoutMillis: o.connectTimeoutMs,
        ...(o.channelBinding === undefined ? {} : { enableChannelBinding: o.channelBinding }),
      };
      const own = new pg.Pool({
        ...listenWith,
        max: o.maxConnections,
        min: o.idleConnections,
        idleTimeoutMillis: o.idleTimeoutMs,
        maxLifetimeSeconds: Math.ceil(o.connectionLifetimeMs / 1000),
        // TCP keep-alive lets the kernel notice a peer that vanished without a reset.
        keepAlive: true,
        // Idle connections and their timers do not hold the process: a store that was never
        // closed (or a manager whose start() failed) lets it exit once nothing else runs.
        allowExitOnIdle: true,
      });
      // An idle connection that breaks (server restart) is dropped by the pool; without a
      // listener the 'error' event would crash the process.
      own.on('error', () => undefined);
      pool = guardClients(own as unknown as PostgresPool);
      target = `${o.host}:${o.port}/${o.database}`;
    }
    const channel = changeChannel(o.schema, o.tablePrefix);
    const listen: ChangeListener | undefined =
      listenWith === undefined
        ? undefined
        : async (onHint, onError) => PostgresListener.start(listenWith, channel, target, { onHint, onError });
    super({
      dialect: new PostgresDialectAdapter(o.database, o.user, channel),
      db: new Kysely<RegistryDatabase>({ dialect: new SchemaScopedPostgresDialect({ pool }, o.schema) }),
      ownsPool: o.pool === undefined,
      tables: tableNames(o.tablePrefix, o.schema),
      target,
      className: 'PostgresStore',
      statementTimeoutMs: o.statementTimeoutMs,
      listen,
    });
  }
}

function describePool(pool: PostgresPool): string {
  const info = (pool as { options?: { host?: string; port?: number; database?: string; connectionString?: string } }).options ?? {};
  let { host, port, database } = info;
  if (info.connectionString !== undefined) {
    try {
      const url = new URL(info.connectionString);
      host ??= url.hostname || undefined;
      port ??= url.port === '' ? undefined : Number(url.port);
      database ??= url.pathname.slice(1) || undefined;
    } catch {
      // keep the defaults
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}/${database ?? '(host pool)'}`;
}
