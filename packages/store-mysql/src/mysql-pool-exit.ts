/** The parts of a mysql2 pool this module touches (its idle sweep is internal, hence optional). */
interface Mysql2PoolInternals {
  on(event: 'acquire' | 'release', listener: (connection: { stream?: { ref?(): unknown; unref?(): unknown } }) => void): unknown;
  _removeIdleTimeoutConnections?: () => void;
  _removeIdleTimeoutConnectionsTimer?: { unref?(): unknown };
}

/**
 * Lets the process exit while the pool is idle, as pg's `allowExitOnIdle` does: mysql2 re-arms
 * a timer every second to close idle connections, and idle connections keep their sockets, so
 * a pool that was never closed (or a `manager.start()` that failed) would hold the process
 * forever. Here the sweep timer and the sockets of idle connections are unref'd; a connection in
 * use holds the process as usual. Only for pools the store created itself.
 */
export function allowExitOnIdle(pool: unknown): void {
  const internals = pool as Mysql2PoolInternals;
  internals.on('release', (connection) => connection.stream?.unref?.());
  internals.on('acquire', (connection) => connection.stream?.ref?.());
  const sweep = internals._removeIdleTimeoutConnections;
  if (typeof sweep !== 'function') return;
  internals._removeIdleTimeoutConnections = function rearmUnref(this: Mysql2PoolInternals) {
    sweep.call(this);
    this._removeIdleTimeoutConnectionsTimer?.unref?.();
  };
  internals._removeIdleTimeoutConnectionsTimer?.unref?.();
}
