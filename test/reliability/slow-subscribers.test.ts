import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type ServiceRegistration } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../packages/core/test/manager/helpers';

// Issue 12 §1: subscribers whose receiver never answers must not hold up a healthy one, and
// once unregistered they must get nothing more. DEAD_SUBSCRIBERS changes the fleet size.
const DEAD = Number(process.env.DEAD_SUBSCRIBERS ?? 1000);
const TIMEOUT_MS = 2000;
const CHANGES = Number(process.env.SLOW_SUBSCRIBER_CHANGES ?? 20);

interface Listener {
  url: string;
  /** Arrival times (performance.now()) and bodies of every request. */
  requests: Array<{ at: number; path: string; body: string }>;
  close(): Promise<void>;
}

/** A real listener on 127.0.0.1: `hang` reads each request and never answers; `ok` answers 200. */
async function listener(mode: 'hang' | 'ok'): Promise<Listener> {
  const requests: Listener['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ at: performance.now(), path: req.url ?? '', body: Buffer.concat(chunks).toString() });
      if (mode === 'ok') res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function pod(serviceName: string, podName: string, health: string, notify: string, subscriptions: string[]): ServiceRegistration {
  return {
    serviceName,
    podName,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
    healthCheckUrl: health,
    notificationUrl: notify,
    subscriptions,
  };
}

describe('slow and dead subscribers (issue 12 §1)', () => {
  it(`${DEAD} never-answering subscribers do not delay a healthy one; once unregistered they get nothing more`, async () => {
    const dead = await listener('hang');
    const ok = await listener('ok');
    cleanups.push(() => dead.close(), () => ok.close());
    const unreachable: string[] = [];
    const manager = new Manager(
      {
        healthCheckInterval: 3_600_000,
        healthCheckTimeout: 1000,
        healthCheckRetry: 0,
        notificationInterval: 3_600_000,
        notificationTimeout: TIMEOUT_MS,
        eventQueueSize: 20_000,
        stopTimeout: 200,
      },
      new MemoryStore(),
    );
    manager.on('subscriberUnreachable', (info) => unreachable.push(info.subscriberKey));
    cleanups.push(() => manager.stop());
    await manager.start();

    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: DEAD }, (_, i) =>
        manager.register(pod('gw', `dead-${i}`, `${ok.url}/health`, `${dead.url}/n/${i}`, ['db'])),
      ),
    );
    const registeredAt = performance.now();
    await manager.register(pod('app', 'healthy', `${ok.url}/health`, `${ok.url}/n/healthy`, ['db']));
    await waitFor(() => ok.requests.some((r) => r.path === '/n/healthy'), 'the healthy subscriber’s first notification', 60_000);
    const first = ok.requests.find((r) => r.path === '/n/healthy')!.at - registeredAt;
    console.log(`[reliability] slow subscribers: registered ${DEAD} dead subscribers in ${Math.round(registeredAt - t0)} ms; a healthy one registered next got its first notification after ${Math.round(first)} ms`);

    // Every dead subscriber has been tried (and timed out) once.
    await waitFor(() => new Set(dead.requests.map((r) => r.path)).size >= DEAD, 'one attempt per dead subscriber', 60_000);
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 100));
    const settledAt = performance.now();
    console.log(`[reliability] slow subscribers: every dead subscriber tried once after ${Math.round(settledAt - t0)} ms; stats ${JSON.stringify({ ...manager.stats().deliveries, backlog: manager.stats().deliveries.backlog?.length })}`);

    const latencies: number[] = [];
    for (let k = 0; k < CHANGES; k++) {
      const started = performance.now();
      await manager.register(pod('db', `db-${k}`, `${ok.url}/health`, `${ok.url}/n/db-${k}`, []));
      await waitFor(
        () => ok.requests.some((r) => r.path === '/n/healthy' && r.at >= started && r.body.includes(`"db-${k}"`)),
        `change ${k} at the healthy subscriber`,
        60_000,
      );
      latencies.push(ok.requests.find((r) => r.path === '/n/healthy' && r.at >= started && r.body.includes(`"db-${k}"`))!.at - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(`[reliability] slow subscribers: ${CHANGES} changes reached the healthy subscriber in p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ${unreachable.length} subscriberUnreachable events`);

    const deliveriesBefore = manager.stats().deliveries;
    await Promise.all(Array.from({ length: DEAD }, (_, i) => manager.unregister('gw', `dead-${i}`)));
    const unregisteredAt = performance.now();
    let drainedAfter = Number.NaN;
    await waitFor(
      () => {
        const { pending, inFlight } = manager.stats().deliveries;
        if (pending === 0 && inFlight === 0 && Number.isNaN(drainedAfter)) drainedAfter = performance.now() - unregisteredAt;
        return performance.now() - unregisteredAt > TIMEOUT_MS;
      },
      'one delivery timeout',
      TIMEOUT_MS + 1000,
    );
    // A request aborted at the unregister may still be parsed by the listener a moment later.
    const late = dead.requests.filter((r) => r.at > unregisteredAt + 50).length;
    console.log(`[reliability] slow subscribers: before unregistering pending ${deliveriesBefore.pending}, in flight ${deliveriesBefore.inFlight}; after: dead listener got ${late} requests in the next ${TIMEOUT_MS} ms, pending 0 after ${Number.isNaN(drainedAfter) ? 'never' : `${Math.round(drainedAfter)} ms`}; stats ${JSON.stringify(manager.stats().deliveries)}`);

    // Untried subscribers share three quarters of the pool and a freed slot goes to the newest
    // one in turn: the pod registered after the flood waits about one timeout, not 1,000 / 128 of them.
    expect(first).toBeLessThan(2 * TIMEOUT_MS);
    expect(p99).toBeLessThan(1000);
    expect(late).toBe(0);
    expect(drainedAfter).toBeLessThan(TIMEOUT_MS);
  }, 120_000);
});
