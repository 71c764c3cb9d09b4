import { errorCode } from '@governance/sql-shared';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

type GuardedClient = {
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  query(...args: unknown[]): unknown;
  release(error?: unknown): void;
};

const guarded = new WeakSet<object>();
const broken = new WeakSet<object>();

/** Errors after which a connection must not be reused. */
function isConnectionError(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && (code.startsWith('08') || code.startsWith('57P') || code === 'ECONNRESET' || code === 'EPIPE')) return true;
  return error instanceof Error && /Connection terminated|connection ended|not queryable/i.test(error.message);
}

/**
 * Wraps a pg pool so a connection that breaks is never reused and never crashes the process:
 * every client gets an 'error' listener (pg emits 'error' on a checked-out client whose socket
 * dies, which would otherwise be unhandled), and a client whose query failed with a
 * connection-level error is released with that error, so the pool destroys it instead of
 * handing it out again.
 */
export function guardClients(pool: PostgresPool): PostgresPool {
  return {
    async connect() {
      const client = (await pool.connect()) as unknown as GuardedClient;
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on?.('error', () => broken.add(client));
        const query = client.query.bind(client);
        client.query = (...args: unknown[]) => {
          const result = query(...args);
          if (result instanceof Promise) {
            result.catch((error: unknown) => {
              if (isConnectionError(error)) broken.add(client);
            });
          }
          return result;
        };
      }
      const release = client.release.bind(client);
      client.release = (error?: unknown) => {
        release(error ?? (broken.has(client) ? new Error('[store-postgres] connection broken; discarded') : undefined));
      };
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
