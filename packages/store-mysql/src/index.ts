export { MySqlStore } from './mysql-store';
export type { MySqlStoreOptions } from './mysql-options';
