import type { RegistryStore } from '@governance/core';
import { MySqlStore } from '@governance/store-mysql';
import { PostgresStore } from '@governance/store-postgres';

/**
 * The SQL store a child-process fixture runs on, from its environment: `GOV_STORE` (`postgres` or
 * `mysql`) and `GOV_STORE_OPTIONS` (the store options as JSON). `who` prefixes the error.
 */
export function storeFromEnv(who: string): RegistryStore {
  const options = JSON.parse(process.env.GOV_STORE_OPTIONS ?? '{}') as Record<string, unknown>;
  switch (process.env.GOV_STORE) {
    case 'postgres':
      return new PostgresStore(options);
    case 'mysql':
      return new MySqlStore(options);
    default:
      throw new Error(`[${who}] GOV_STORE must be postgres or mysql, got ${String(process.env.GOV_STORE)}`);
  }
}
