import type { MysqlPool, MysqlPoolConnection } from 'kysely';

/** The parts of a mysql2 callback pool this module uses. */
interface Mysql2Pool extends MysqlPool {
  on(event: 'connection', listener: (connection: MysqlPoolConnection) => void): unknown;
}

/**
 * Gives a mysql2 pool a maximum connection lifetime, which mysql2 does not have (its
 * `idleTimeout` only closes idle connections): a connection is never handed out once it is
 * `lifetimeMs` old, counted from when the pool opened it; such a connection is destroyed
 * instead (mysql2 opens a fresh one when needed). A connection in use is never interrupted.
 * `lifetimeMs` 0 means no limit (the pool is returned as it is).
 */
export function withConnectionLifetime(pool: Mysql2Pool, lifetimeMs: number, now: () => number = Date.now): MysqlPool {
  if (lifetimeMs <= 0) return pool;
  const openedAt = new WeakMap<MysqlPoolConnection, number>();
  pool.on('connection', (connection) => openedAt.set(connection, now()));
  const expired = (connection: MysqlPoolConnection): boolean => {
    const opened = openedAt.get(connection);
    if (opened === undefined) {
      openedAt.set(connection, now());
      return false;
    }
    return now() - opened >= lifetimeMs;
  };
  return {
    getConnection(callback) {
      const take = (): void =>
        pool.getConnection((error, connection) => {
          if (error || !expired(connection)) {
            callback(error, connection);
            return;
          }
          (connection as MysqlPoolConnection & { destroy(): void }).destroy();
          take();
        });
      take();
    },
    end: (callback) => pool.end(callback),
  };
}
