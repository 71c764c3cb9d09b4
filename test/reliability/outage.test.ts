import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type ManagerConfigInput, type RegistryStore } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../packages/core/test/manager/helpers';
import { SCRATCH_SERVERS, useScratchDatabase, type ScratchDatabase } from '../support/databases';
import { HttpClient, wireRegistration } from '../support/http-client';
import { waitFor } from '../support/wait';
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
  /** Answers to the writers that kept registering through the outage, by status. */
  streamStatuses: Record<string, number>;
}

/** The figures of the last run, printed for docs/reliability.md. */
const figures = new Map<string, OutageFigures>();
afterAll(() => {
  for (const [db, f] of figures) {
    console.log(
      `[reliability] outage ${db}: acknowledged ${f.acknowledged}, present ${f.present}, ` +
        `503 during the outage ${f.refusedDuringOutage}, recovered in ${f.recoveryMs} ms, ` +
        `concurrent writers' answers ${JSON.stringify(f.streamStatuses)}`,
    );
  }
});

type StoreAt = (host: string, port: number) => RegistryStore;

/** How long a wait may take before the test fails as hung: a guard, not a speed target. */
const HANG_GUARD_MS = 20_000;

/**
 * A manager whose store reaches the database through a TCP proxy, serving the API over node:http
 * on 127.0.0.1, with a fleet of pods; `close()` ends all of it, proxy last.
 */
async function startBehindProxy(db: ScratchDatabase, makeStore: StoreAt, config: ManagerConfigInput, onError: (error: Error) => void) {
  const proxy = new TcpProxy(db.host, db.port);
  const proxyPort = await proxy.start();
  const fleet = await Fleet.start();
  const manager = new Manager(config, makeStore('127.0.0.1', proxyPort));
  manager.on('error', onError);
  await manager.start();
  const server = http.createServer(createNodeListener(manager));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const close = async (): Promise<void> => {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await manager.stop();
    await fleet.close();
    await proxy.stop();
  };
  return { proxy, fleet, manager, client, close };
}

async function runOutage(label: string, db: ScratchDatabase, makeStore: StoreAt): Promise<void> {
  const errors: Error[] = [];
  const { proxy, fleet, manager, client, close } = await startBehindProxy(
    db,
    makeStore,
    { healthCheckInterval: 200, healthCheckTimeout: 500, healthCheckRetry: 0, notificationTimeout: 1_000, stopTimeout: 2_000 },
    (error) => errors.push(error),
  );
  const acknowledged = new Map<string, string[]>();
  const register = async (pod: string, subs: string[]) => {
    const answer = await client.json('POST', '/register', wireRegistration('svc', pod, { health: fleet.healthUrl(pod), notify: fleet.notifyUrl(pod) }, subs));
    if (answer.status >= 200 && answer.status < 300) acknowledged.set(`svc:${pod}`, [...subs].sort());
    return answer;
  };

  // Writers that keep registering through the cut and the recovery: whatever they got a 2xx for
  // must be stored, whatever the timing.
  const streamStatuses: Record<string, number> = {};
  let streaming = true;
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; streaming; n++) {
      let status = 0;
      try {
        status = (await register(`stream-${w}-${n}`, ['s', `w${w % 3}`])).status;
      } catch {
        status = 0;
      }
      streamStatuses[status] = (streamStatuses[status] ?? 0) + 1;
      if (status !== 201) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  let writers: Promise<void[]> | undefined;

  try {
    for (let i = 0; i < 20; i++) expect((await register(`before-${i}`, i % 2 ? ['a', 'b'] : ['c'])).status).toBe(201);
    expect((await client.json('GET', '/health')).status).toBe(200);

    writers = Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
    await waitFor(() => (streamStatuses['201'] ?? 0) >= 30, 'the concurrent writers to get going', HANG_GUARD_MS);
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
    const listedBefore = reads.body.services.filter((s: { pod_name: string }) => s.pod_name.startsWith('before-')).length;
    expect(listedBefore).toBe(20);
    // Health results keep arriving while the store is away: they fail quietly, nothing crashes.
    const probesBefore = fleet.healthRequests;
    await waitFor(() => fleet.healthRequests >= probesBefore + 20, 'health checks during the outage', HANG_GUARD_MS);
    expect(manager.isRunning).toBe(true);

    proxy.restore();
    const restoredAt = performance.now();
    // The property is that the manager recovers by itself; how fast is a figure, printed below.
    await waitFor(async () => (await client.json('GET', '/health')).status === 200, 'GET /health = 200 after restore', HANG_GUARD_MS);
    await waitFor(async () => (await register('after-0', ['a'])).status === 201, 'a register = 201 after restore', HANG_GUARD_MS);
    const recoveryMs = Math.round(performance.now() - restoredAt);

    for (let i = 1; i < 20; i++) expect((await register(`after-${i}`, ['b'])).status).toBe(201);
    streaming = false;
    await writers;
    for (const status of Object.keys(streamStatuses)) expect(['201', '503']).toContain(status);
    expect((await client.json('DELETE', '/unregister?service_name=svc&pod_name=before-0')).status).toBe(200);
    acknowledged.delete('svc:before-0');

    const rows = await db.rows();
    let present = 0;
    for (const [key, subs] of acknowledged) {
      if (rows.has(key) && JSON.stringify(rows.get(key)) === JSON.stringify(subs)) present++;
    }
    figures.set(label, { acknowledged: acknowledged.size, present, refusedDuringOutage: during.length, recoveryMs, streamStatuses });
    expect(present).toBe(acknowledged.size);
    expect(rows.has('svc:before-0')).toBe(false);
    const view = await client.json('GET', '/services');
    for (const key of acknowledged.keys()) {
      expect(view.body.services.some((s: { service_name: string; pod_name: string }) => `${s.service_name}:${s.pod_name}` === key)).toBe(true);
    }
    expect(unhandled).toBe(0);
  } finally {
    streaming = false;
    await writers?.catch(() => undefined);
    await close();
  }
}

/**
 * A network freeze instead of a refusal: connections stay open but no byte moves. `/health`
 * must still answer (503, bounded by the manager's ping timeout), reads keep answering, and a
 * write sent during the freeze either completes after it (and is then stored) or fails — never
 * a 2xx that is not stored.
 */
async function runStall(label: string, db: ScratchDatabase, makeStore: StoreAt): Promise<void> {
  const { proxy, fleet, client, close } = await startBehindProxy(db, makeStore, { healthCheckInterval: 60_000, stopTimeout: 2_000 }, () => undefined);
  const body = (pod: string) => wireRegistration('frozen', pod, { health: fleet.healthUrl(pod), notify: fleet.notifyUrl(pod) });
  try {
    expect((await client.json('POST', '/register', body('p-0'))).status).toBe(201);
    proxy.stall();
    const pending = client.json('POST', '/register', body('p-1')).catch((error: unknown) => ({ status: 0, body: String(error) }));
    const health = await client.json('GET', '/health');
    expect(health.status).toBe(503);
    // The store's connect timeout (10 s by default) is longer than the manager's ping deadline.
    expect(health.body.error).toMatch(/did not answer a ping within/);
    const reads = await client.json('GET', '/services/frozen');
    expect(reads.status).toBe(200);
    expect(reads.body.count).toBe(1);

    proxy.restore();
    const restoredAt = performance.now();
    const late = await pending;
    expect([201, 503], JSON.stringify(late.body)).toContain(late.status);
    await waitFor(async () => (await client.json('GET', '/health')).status === 200, 'GET /health = 200 after the freeze', HANG_GUARD_MS);
    await waitFor(async () => (await client.json('POST', '/register', body('p-2'))).status === 201, 'a register after the freeze', HANG_GUARD_MS);
    const recoveryMs = Math.round(performance.now() - restoredAt);
    console.log(`[reliability] freeze ${label}: write sent during the freeze answered ${late.status}; recovered in ${recoveryMs} ms`);
    const rows = await db.rows();
    expect(rows.has('frozen:p-0')).toBe(true);
    expect(rows.has('frozen:p-2')).toBe(true);
    if (late.status === 201) expect(rows.has('frozen:p-1')).toBe(true);
    expect(unhandled).toBe(0);
  } finally {
    proxy.restore();
    await close();
  }
}

for (const server of SCRATCH_SERVERS) {
  const skip = await server.skip();
  describe.skipIf(skip !== undefined)(`database outage on ${server.title} (through a TCP proxy that is cut and restored)`, () => {
    const db = useScratchDatabase(server);

    it('answers 503 to /health and writes, keeps serving reads, and recovers by itself with no acknowledged write lost', async () => {
      await runOutage(server.label, db(), (host, port) => db().openStore(host, port, { connectTimeoutMs: 1_000 }));
    }, 120_000);

    it('answers /health (503) and reads during a network freeze, and loses no acknowledged write', async () => {
      await runStall(server.label, db(), (host, port) => db().openStore(host, port));
    }, 120_000);
  });
}
