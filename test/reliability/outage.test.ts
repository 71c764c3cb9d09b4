import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type RegistryStore } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MySqlStore } from '@governance/store-mysql';
import { PostgresStore } from '@governance/store-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../packages/core/test/manager/helpers';
import { mysqlSkip, postgresSkip, scratchMysql, scratchPostgres, type ScratchDatabase } from '../support/databases';
import { HttpClient, pollUntil, wireRegistration } from '../support/http-client';
import { TcpProxy } from '../support/tcp-proxy';

let unhandled = 0;
const onUnhandled = (reason: unknown): void => {
  unhandled++;
  console.error('[reliability] unhandled rejection:', reason);
};

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

interface OutageFigures {
  acknowledged: number;
  present: number;
  refusedDuringOutage: number;
  recoveryMs: number;
}

/** The figures of the last run, printed for docs/reliability.md. */
const figures = new Map<string, OutageFigures>();
afterAll(() => {
  for (const [db, f] of figures) {
    console.log(
      `[reliability] outage ${db}: acknowledged ${f.acknowledged}, present ${f.present}, ` +
        `503 during the outage ${f.refusedDuringOutage}, recovered in ${f.recoveryMs} ms`,
    );
  }
});

async function runOutage(label: string, db: ScratchDatabase, makeStore: (host: string, port: number) => RegistryStore): Promise<void> {
  const proxy = new TcpProxy(db.host, db.port);
  const proxyPort = await proxy.start();
  const fleet = await Fleet.start();
  const manager = new Manager(
    { healthCheckInterval: 200, healthCheckTimeout: 500, healthCheckRetry: 0, notificationTimeout: 1_000, stopTimeout: 2_000 },
    makeStore('127.0.0.1', proxyPort),
  );
  const errors: Error[] = [];
  manager.on('error', (error) => errors.push(error));
  await manager.start();
  const server = http.createServer(createNodeListener(manager));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const acknowledged = new Map<string, string[]>();
  const register = async (pod: string, subs: string[]) => {
    const answer = await client.json('POST', '/register', wireRegistration('svc', pod, { health: fleet.healthUrl(pod), notify: fleet.notifyUrl(pod) }, subs));
    if (answer.status >= 200 && answer.status < 300) acknowledged.set(`svc:${pod}`, [...subs].sort());
    return answer;
  };

  try {
    for (let i = 0; i < 20; i++) expect((await register(`before-${i}`, i % 2 ? ['a', 'b'] : ['c'])).status).toBe(201);
    expect((await client.json('GET', '/health')).status).toBe(200);

    proxy.cut();
    const health = await client.json('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body.status).toBe('unhealthy');

    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => register(`during-${i}`, ['a'])));
    for (const answer of during) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.body.error).toMatch(/^\[store-(postgres|mysql)\]/);
    }
    const unregister = await client.json('DELETE', '/unregister?service_name=svc&pod_name=before-0');
    expect(unregister.status).toBe(503);

    const reads = await client.json('GET', '/services');
    expect(reads.status).toBe(200);
    expect(reads.body.count).toBe(20);
    expect((await client.json('GET', '/services/svc')).body.count).toBe(20);
    // Health results keep arriving while the store is away: they fail quietly, nothing crashes.
    const probesBefore = fleet.healthRequests;
    await pollUntil(() => fleet.healthRequests >= probesBefore + 20, 'health checks during the outage');
    expect(manager.isRunning).toBe(true);

    proxy.restore();
    const restoredAt = performance.now();
    await pollUntil(async () => (await client.json('GET', '/health')).status === 200, 'GET /health = 200 after restore', 5_000);
    await pollUntil(async () => (await register('after-0', ['a'])).status === 201, 'a register = 201 after restore', 5_000);
    const recoveryMs = Math.round(performance.now() - restoredAt);
    expect(recoveryMs).toBeLessThan(5_000);

    for (let i = 1; i < 20; i++) expect((await register(`after-${i}`, ['b'])).status).toBe(201);
    expect((await client.json('DELETE', '/unregister?service_name=svc&pod_name=before-0')).status).toBe(200);
    acknowledged.delete('svc:before-0');

    const rows = await db.rows();
    let present = 0;
    for (const [key, subs] of acknowledged) {
      if (rows.has(key) && JSON.stringify(rows.get(key)) === JSON.stringify(subs)) present++;
    }
    figures.set(label, { acknowledged: acknowledged.size, present, refusedDuringOutage: during.length, recoveryMs });
    expect(present).toBe(acknowledged.size);
    expect(rows.has('svc:before-0')).toBe(false);
    const view = await client.json('GET', '/services');
    for (const key of acknowledged.keys()) {
      expect(view.body.services.some((s: { service_name: string; pod_name: string }) => `${s.service_name}:${s.pod_name}` === key)).toBe(true);
    }
    expect(unhandled).toBe(0);
  } finally {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await manager.stop();
    await fleet.close();
    await proxy.stop();
  }
}

const pgSkip = await postgresSkip();
describe.skipIf(pgSkip !== undefined)('database outage on PostgreSQL (through a TCP proxy that is cut and restored)', () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await scratchPostgres();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('answers 503 to /health and writes, keeps serving reads, and recovers by itself with no acknowledged write lost', async () => {
    await runOutage('PostgreSQL', db, (host, port) => new PostgresStore({ ...db.storeOptions, host, port, connectTimeoutMs: 1_000 }));
  });
});

const myskip = await mysqlSkip();
describe.skipIf(myskip !== undefined)('database outage on MariaDB/MySQL (through a TCP proxy that is cut and restored)', () => {
  let db: ScratchDatabase;
  beforeAll(async () => {
    db = await scratchMysql();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('answers 503 to /health and writes, keeps serving reads, and recovers by itself with no acknowledged write lost', async () => {
    await runOutage('MariaDB', db, (host, port) => new MySqlStore({ ...db.storeOptions, host, port, connectTimeoutMs: 1_000 }));
  });
});
