import type { ScratchDatabase } from '../../../../test/support/databases';
import { urlFor } from '../../../store-mysql/test/mysql-test-env';
import { POSTGRES_URL } from '../../../store-postgres/test/postgres-test-env';

/** The CLI URL of a scratch database: its schema as `?schema=` on PostgreSQL, its database on MariaDB. */
export function scratchUrl(db: ScratchDatabase): string {
  if (db.kind === 'mysql') return urlFor(String(db.storeOptions.database));
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', String(db.storeOptions.schema));
  return url.toString();
}
