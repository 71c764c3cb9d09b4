import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, toWireRegistration, type ServiceInfo } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { startStubServer } from '../../../../test/support/stub-server';

/** The token the test managers accept (read and write, every service). */
export const TOKEN = 'cli-test-token-0123456789abcdef';

/** A memory-store manager served by the `node:http` adapter on 127.0.0.1, under `/gov`. */
export interface TestManager {
  manager: Manager;
  /** `http://127.0.0.1:<port>/gov` */
  url: string;
  /** Registers pods through `POST /gov/register` (so they are validated like any client's). */
  register(pods: readonly ServiceInfo[]): Promise<void>;
  close(): Promise<void>;
}

export async function startMemoryManager(): Promise<TestManager> {
  // Health checks and notifications go to unroutable test addresses: a short timeout, no retries.
  const manager = new Manager(
    {
      healthCheckInterval: 600_000,
      healthCheckTimeout: 200,
      healthCheckRetry: 0,
      notificationInterval: 600_000,
      notificationTimeout: 200,
      notificationRetries: 0,
      stopTimeout: 500,
      tokens: [{ token: TOKEN, services: ['*'], read: true }],
    },
    new MemoryStore(),
  );
  await manager.start();
  const server = http.createServer(createNodeListener(manager, { prefix: '/gov' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gov`;
  return {
    manager,
    url,
    async register(pods) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < pods.length) {
          const pod = pods[next++]!;
          const response = await fetch(`${url}/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify(toWireRegistration(pod)),
          });
          if (response.status !== 201 && response.status !== 200) throw new Error(`register ${pod.podName}: ${response.status} ${await response.text()}`);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await manager.stop();
    },
  };
}

/** A stub server (test/support/stub-server) answering `GET /services` with the Go manager's PascalCase records (no UpdatedAt, as Go has none). */
export async function startGoShapedServer(pods: readonly ServiceInfo[]): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify({
    count: pods.length,
    services: pods.map((p) => ({
      ServiceName: p.serviceName,
      PodName: p.podName,
      Providers: p.providers.map((q) => ({ Protocol: q.protocol, IP: q.ip, Port: q.port })),
      HealthCheckURL: p.healthCheckUrl,
      NotificationURL: p.notificationUrl,
      Subscriptions: p.subscriptions,
      Status: p.status,
      LastHealthCheck: p.lastHealthCheck.toISOString().replace('Z', '123456Z'),
      RegisteredAt: p.registeredAt.toISOString(),
    })),
  });
  const stub = await startStubServer((request) =>
    request.method === 'GET' && request.path === '/services' ? { status: 200, headers: { 'content-type': 'application/json' }, body } : 404,
  );
  return { url: stub.url, close: () => stub.close() };
}
