import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { Manager, type ManagerConfigInput, type ServiceInfo } from '@governance/core';
import { createNodeListener, type NodeListenerOptions } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';

/** Quick settings: nothing periodic fires during a test. */
export const PULL_TEST_CONFIG = {
  healthCheckInterval: 60_000,
  healthCheckTimeout: 300,
  healthCheckRetry: 0,
  notificationInterval: 60_000,
  notificationTimeout: 300,
  notificationRetries: 0,
  stopTimeout: 500,
} as const;

/** A manager on a MemoryStore behind a real `node:http` server on 127.0.0.1; closed after each test. */
export function pullTestBed() {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  return {
    async start(config: ManagerConfigInput = {}, options: NodeListenerOptions = {}) {
      const manager = new Manager({ ...PULL_TEST_CONFIG, ...config }, new MemoryStore());
      await manager.start();
      closers.push(() => manager.stop({ timeoutMs: 500 }));
      const server = http.createServer(createNodeListener(manager, options));
      server.maxConnections = 10_000;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2048, resolve));
      closers.push(
        () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      );
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { manager, server, base };
    },
    onClose(close: () => Promise<void>) {
      closers.push(close);
    },
  };
}

/** A pod whose health URL answers nothing (the test decides statuses itself, or never checks). */
export function pod(serviceName: string, podName: string, port = 9000, subscriptions: string[] = []) {
  return {
    serviceName,
    podName,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port }] as Array<{ protocol: 'http' | 'tcp'; ip: string; port: number }>,
    healthCheckUrl: 'http://127.0.0.1:9/health',
    notificationUrl: 'http://127.0.0.1:9/notify',
    subscriptions,
  };
}

/** Registers and waits for the pod's first health result (so no status change arrives later by surprise). */
export async function registerSettled(manager: Manager, registration: ReturnType<typeof pod>): Promise<ServiceInfo> {
  await manager.register(registration);
  const key = `${registration.serviceName}:${registration.podName}`;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const service = await manager.getService(key);
    if (service !== undefined && service.status !== 'unknown') return service;
    if (Date.now() > deadline) throw new Error(`${key} was never checked`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
