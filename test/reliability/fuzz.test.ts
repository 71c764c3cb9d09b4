import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Manager, type ServiceInfo } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../support/http-client';
import { generateCases, type FuzzCase, type StoredPod } from './fuzz-cases';

const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 7_340_911);
const CONCURRENCY = 16;
const HEAP_BOUND = 64 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function content(s: ServiceInfo | StoredPod) {
  return {
    serviceName: s.serviceName,
    podName: s.podName,
    providers: s.providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port })),
    healthCheckUrl: s.healthCheckUrl,
    notificationUrl: s.notificationUrl,
    subscriptions: [...s.subscriptions],
  };
}

describe('hostile input at volume (fast-check, node:http adapter, MemoryStore)', () => {
  let manager: Manager;
  let store: MemoryStore;
  let server: http.Server;
  let client: HttpClient;
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    store = new MemoryStore();
    manager = new Manager(
      { healthCheckInterval: 3_600_000, healthCheckTimeout: 200, healthCheckRetry: 0, notificationRetries: 0, notificationTimeout: 200 },
      store,
    );
    await manager.start();
    server = http.createServer(createNodeListener(manager));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new HttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, CONCURRENCY);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    client?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await manager?.stop();
  });

  it(`answers ${TOTAL} malformed, adversarial and valid requests correctly, stays bounded, and stores exactly the valid ones`, async () => {
    const cases = generateCases(TOTAL, SEED);
    expect(cases.length).toBe(TOTAL);
    const heapBefore = heapAfterGc();

    const byClass = new Map<string, number>();
    const byStatus = new Map<number, number>();
    const wrong: string[] = [];
    let closedWhileSending = 0;
    const expected = new Map<string, StoredPod>();
    const started = performance.now();

    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const c: FuzzCase = cases[next++]!;
        let status: number;
        try {
          status = (await client.send(c.method, c.path, c.body, c.headers)).status;
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (c.expect === 'too-large' && (code === 'EPIPE' || code === 'ECONNRESET')) {
            closedWhileSending++;
            continue;
          }
          wrong.push(`${c.label}: no answer (${String(error)})`);
          continue;
        }
        const cls = `${Math.floor(status / 100)}xx`;
        byClass.set(cls, (byClass.get(cls) ?? 0) + 1);
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        const ok =
          c.expect === 'valid' ? status === 200 || status === 201 : c.expect === 'too-large' ? status === 413 : status >= 400 && status < 500;
        if (!ok && wrong.length < 20) wrong.push(`${c.label} → ${status}: ${String(c.body ?? c.path).slice(0, 200)}`);
        else if (!ok) wrong.push('…');
        if (c.expect === 'valid' && ok) expected.set(`${c.stored!.serviceName}:${c.stored!.podName}`, c.stored!);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;

    const validCount = cases.filter((c) => c.expect === 'valid').length;
    const heapDelta = heapAfterGc() - heapBefore;
    console.log(
      `[reliability] fuzz: ${TOTAL} requests (seed ${SEED}) in ${seconds.toFixed(1)} s; ` +
        `by class ${JSON.stringify(Object.fromEntries([...byClass].sort()))}; ` +
        `by status ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}; ` +
        `valid ${validCount}; over-limit bodies cut off while sending ${closedWhileSending}; ` +
        `heap delta after GC ${(heapDelta / 1024 / 1024).toFixed(1)} MiB`,
    );

    expect(wrong).toEqual([]);
    // The lingering close drains an over-limit body after its 413, so no upload is cut off.
    expect(closedWhileSending).toBe(0);
    expect(byClass.get('5xx') ?? 0).toBe(0);
    expect(expected.size).toBe(validCount);
    expect(heapDelta).toBeLessThan(HEAP_BOUND);
    expect(unhandled).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();

    const stored = await store.getAllServices();
    expect(stored.map((s) => `${s.serviceName}:${s.podName}`).sort()).toEqual([...expected.keys()].sort());
    for (const s of stored) expect(content(s)).toEqual(content(expected.get(`${s.serviceName}:${s.podName}`)!));
    expect((await manager.listServices()).length).toBe(expected.size);

    // The hostile-but-valid names round-trip through unregister too.
    let removed = 0;
    for (const pod of [...expected.values()].filter((_, i) => i % 4 === 0)) {
      const path = `/unregister?service_name=${encodeURIComponent(pod.serviceName)}&pod_name=${encodeURIComponent(pod.podName)}`;
      const answer = await client.send('DELETE', path);
      expect(answer.status, `${pod.serviceName}:${pod.podName}`).toBe(200);
      expected.delete(`${pod.serviceName}:${pod.podName}`);
      removed++;
    }
    expect(removed).toBeGreaterThan(0);
    const left = await store.getAllServices();
    expect(left.map((s) => `${s.serviceName}:${s.podName}`).sort()).toEqual([...expected.keys()].sort());
  }, 120_000);
});
