import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { createPool as createMysqlPool } from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { MYSQL_URL } from '../../packages/store-mysql/test/mysql-test-env';
import { POSTGRES_URL } from '../../packages/store-postgres/test/postgres-test-env';
import { SCRATCH_SERVERS, useScratchDatabase, type ScratchDatabase } from '../support/databases';
import { HttpClient, wireRegistration } from '../support/http-client';

// Issue 12 §3: with an exclusive lock held on `services`, a write ends with 503 + Retry-After in
// bounded time and is not applied, and /health says the manager is degraded (not ready) while
// /health/live stays 200.
const LOCK_MS = 8000;
const URLS = { health: 'http://127.0.0.1:9/h', notify: 'http://127.0.0.1:9/n' };
const STATEMENT_TIMEOUT_MS = 1000;

/** Takes an exclusive lock on the scratch space's `services` table through the raw driver; resolves once held. */
async function holdServicesLock(db: ScratchDatabase, ms: number): Promise<{ released: Promise<void> }> {
  if (db.kind === 'postgres') {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query('begin');
    await client.query(`lock table ${String(db.storeOptions.schema)}.services in access exclusive mode`);
    const released = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(async () => {
      await client.query('rollback');
      await client.end();
    });
    return { released };
  }
  const url = new URL(MYSQL_URL);
  url.pathname = `/${String(db.storeOptions.database)}`;
  const pool = createMysqlPool({ uri: url.toString(), connectionLimit: 1 });
  const conn = await pool.getConnection();
  await conn.query('lock tables services write');
  const released = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(async () => {
    await conn.query('unlock tables');
    conn.release();
    await pool.end();
  });
  return { released };
}

for (const server of SCRATCH_SERVERS) {
  describe(`stuck database: ${server.title}`, async () => {
    const skip = await server.skip();
    if (skip !== undefined) console.warn(`[reliability] SKIPPED stuck database on ${server.title}: ${skip}`);
    const scratch = useScratchDatabase(server);

    it.skipIf(skip !== undefined)('a write waiting for a held lock answers 503 + Retry-After in bounded time, is not applied, and /health reports degraded', async () => {
      const db = scratch();
      const store = db.openStore(db.host, db.port, { statementTimeoutMs: STATEMENT_TIMEOUT_MS });
      const manager = new Manager({ healthCheckInterval: 3_600_000, healthMaxWriteWait: 500, stopTimeout: 500 }, store);
      await manager.start();
      const listener = http.createServer(createNodeListener(manager));
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      const client = new HttpClient(base);
      try {
        const before = await client.json('POST', '/register', wireRegistration('db', 'before', URLS));
        expect(before.status).toBe(201);

        const lock = await holdServicesLock(db, LOCK_MS);
        const started = performance.now();
        const write = fetch(`${base}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(wireRegistration('db', 'stuck', URLS)),
        }).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text(), ms: performance.now() - started }));
        await new Promise((resolve) => setTimeout(resolve, 700));
        const health = await client.json('GET', '/health');
        const ready = await client.json('GET', '/health/ready');
        const live = await client.json('GET', '/health/live');
        const answer = await write;
        console.log(`[reliability] stuck database ${server.label}: write answered ${answer.status} after ${Math.round(answer.ms)} ms (lock held ${LOCK_MS} ms, statementTimeoutMs ${STATEMENT_TIMEOUT_MS}); /health ${health.status} ${JSON.stringify(health.body)}; /health/live ${live.status}`);
        await lock.released;
        const rows = await db.rows();

        expect(answer.status).toBe(503);
        expect(answer.retryAfter).not.toBeNull();
        expect(answer.body).toMatch(/statementTimeoutMs/);
        // The lane retries a transient failure (storeRetry: 2 retries): at most 3 server-side timeouts.
        expect(answer.ms).toBeLessThan(LOCK_MS - 1000);
        expect(health.status).toBe(503);
        expect(health.body).toMatchObject({ status: 'degraded' });
        expect(health.body.error).toMatch(/writes are stuck/);
        expect(ready.status).toBe(503);
        expect(live.status).toBe(200);
        expect(rows.has('db:stuck')).toBe(false);
        expect(rows.has('db:before')).toBe(true);
        // Once the lock is gone, writes and /health recover.
        const after = await client.json('POST', '/register', wireRegistration('db', 'after', URLS));
        expect(after.status).toBe(201);
        expect((await client.json('GET', '/health')).status).toBe(200);
      } finally {
        listener.closeAllConnections();
        await new Promise<void>((resolve) => listener.close(() => resolve()));
        await manager.stop();
      }
    }, 60_000);
  });
}
