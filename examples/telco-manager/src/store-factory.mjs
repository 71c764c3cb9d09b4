/**
 * Creates the RegistryStore named by the config's `store` section. Database drivers are
 * imported only when their store is chosen, so the memory store needs none of them.
 */
export async function createStore(store) {
  switch (store.type) {
    case 'memory': {
      const { MemoryStore } = await import('@governance/store-memory');
      return new MemoryStore();
    }
    case 'postgres': {
      const { PostgresStore } = await import('@governance/store-postgres');
      if (store.url !== undefined) return new PostgresStore({ connectionString: store.url });
      return new PostgresStore({
        host: store.host,
        port: store.port,
        database: store.database,
        user: store.user,
        password: store.password,
        sslMode: store.sslMode,
      });
    }
    case 'mysql': {
      const { MySqlStore } = await import('@governance/store-mysql');
      if (store.url !== undefined) return new MySqlStore({ connectionString: store.url });
      return new MySqlStore({
        host: store.host,
        port: store.port,
        database: store.database,
        user: store.user,
        password: store.password,
        ssl: mysqlSsl(store.sslMode),
      });
    }
    case 'mongodb': {
      const { MongoStore } = await import('@governance/store-mongodb');
      if (store.url !== undefined) return new MongoStore({ uri: store.url });
      const uri = new URL(`mongodb://${store.host}:${store.port}/${encodeURIComponent(store.database)}`);
      if (store.user !== undefined) {
        uri.username = store.user;
        if (store.password !== undefined) uri.password = store.password;
      }
      if (store.sslMode !== 'disable') {
        uri.searchParams.set('tls', 'true');
        if (store.sslMode === 'require') uri.searchParams.set('tlsInsecure', 'true');
        if (store.sslMode === 'verify-ca') uri.searchParams.set('tlsAllowInvalidHostnames', 'true');
      }
      return new MongoStore({ uri: uri.href });
    }
    default:
      throw new Error(`telco-manager: unknown store type ${JSON.stringify(store.type)}`);
  }
}

function mysqlSsl(sslMode) {
  if (sslMode === 'disable') return undefined;
  if (sslMode === 'require') return { rejectUnauthorized: false };
  if (sslMode === 'verify-ca') return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
  return true;
}
