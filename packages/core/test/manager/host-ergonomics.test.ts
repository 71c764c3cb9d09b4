import http from 'node:http';
import { Manager, type ServiceInfo } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { send } from '../transport/support/http-client';
import { listen } from '../transport/support/scenarios';
import { FAST, Fleet, deferred, podRegistration, waitFor } from './helpers';

/** A memory store whose first getAllServices() waits until `release()` (a slow database at start). */
class SlowStartStore extends MemoryStore {
  readonly gate = deferred();
  loads = 0;
  closed = false;
  override async getAllServices(): Promise<ServiceInfo[]> {
    this.loads++;
    if (this.loads === 1) await this.gate.promise;
    return super.getAllServices();
  }
  override async close(): Promise<void> {
    this.closed = true;
    await super.close();
  }
}

describe('Manager.start({ signal })', () => {
  it('rejects at once with an already aborted signal and stays startable', async () => {
    const manager = new Manager(FAST, new MemoryStore());
    const controller = new AbortController();
    controller.abort();
    await expect(manager.start({ signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(manager.isRunning).toBe(false);
    await manager.start();
    expect(manager.isRunning).toBe(true);
    await manager.stop();
  });

  it('abandons a start whose store load hangs, with the signal’s reason; a later start() works', async () => {
    const store = new SlowStartStore();
    const manager = new Manager(FAST, store);
    const controller = new AbortController();
    const starting = manager.start({ signal: controller.signal });
    await waitFor(() => store.loads === 1, 'the load to begin');
    controller.abort(new Error('deploy cancelled'));
    await expect(starting).rejects.toThrow('deploy cancelled');
    expect(manager.isRunning).toBe(false);
    store.gate.resolve();
    await manager.start();
    expect(manager.isRunning).toBe(true);
    expect(store.loads).toBe(2);
    await manager.stop();
  });

  it('lets a caller joining a start stop waiting without cancelling it for the others', async () => {
    const store = new SlowStartStore();
    const manager = new Manager(FAST, store);
    const first = manager.start();
    const controller = new AbortController();
    const joined = manager.start({ signal: controller.signal });
    controller.abort();
    await expect(joined).rejects.toMatchObject({ name: 'AbortError' });
    store.gate.resolve();
    await first;
    expect(manager.isRunning).toBe(true);
    await manager.stop();
  });
});

describe('Manager.stop({ signal })', () => {
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await Fleet.start();
  });
  afterEach(async () => {
    await fleet.close();
  });

  it('stops waiting for a hanging health check when the signal aborts, long before its timeout, and closes the store', async () => {
    const store = new SlowStartStore();
    store.gate.resolve();
    const manager = new Manager({ ...FAST, healthCheckTimeout: 20_000 }, store);
    await manager.start();
    fleet.setHealth('stuck-1', 'hang');
    await manager.register(podRegistration(fleet, 'stuck', 'stuck-1'));
    await waitFor(() => manager.stats().probes.inFlight === 1, 'the hanging check');
    const controller = new AbortController();
    let stopped = false;
    const stopping = manager.stop({ timeoutMs: 20_000, signal: controller.signal }).then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    controller.abort();
    await waitFor(() => stopped, 'stop() to end after the abort', 5_000);
    await stopping;
    expect(store.closed).toBe(true);
    expect(manager.stats().probes.inFlight).toBe(0);
  });
});

describe('await using manager', () => {
  it('stops the manager and closes its store at the end of the scope', async () => {
    const store = new SlowStartStore();
    store.gate.resolve();
    let escaped: Manager | undefined;
    {
      await using manager = new Manager(FAST, store);
      await manager.start();
      escaped = manager;
      expect(manager.isRunning).toBe(true);
    }
    expect(escaped.isRunning).toBe(false);
    expect(store.closed).toBe(true);
    await expect(escaped.start()).rejects.toThrow(/was stopped/);
  });
});

describe("an 'error' nobody listens to", () => {
  it('becomes a GovernanceWarning on the process when there is no logger either', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const manager = new Manager(FAST, new MemoryStore());
    try {
      await manager.start();
      manager.on('registered', () => {
        throw new Error('listener bug');
      });
      await manager.register({
        serviceName: 'api',
        podName: 'api-1',
        providers: [{ protocol: 'http', ip: '10.0.0.1', port: 80 }],
        healthCheckUrl: 'http://127.0.0.1:9/health',
        notificationUrl: 'http://127.0.0.1:9/notify',
        subscriptions: [],
      });
      await waitFor(() => warnings.some((w) => w.name === 'GovernanceWarning'), 'the warning');
      const warning = warnings.find((w) => w.name === 'GovernanceWarning')!;
      expect(warning.message).toContain("a 'registered' listener threw: listener bug");
      expect((warning as Error & { code?: string }).code).toBe('GOVERNANCE_UNHANDLED_ERROR');
    } finally {
      process.off('warning', onWarning);
      await manager.stop();
    }
  });

  it('goes to the logger at error when there is one', async () => {
    const errors: Array<{ obj: object; msg?: string }> = [];
    const noop = () => {};
    const logger = { debug: noop, info: noop, warn: noop, error: (obj: object, msg?: string) => errors.push({ obj, msg }) };
    const manager = new Manager({ ...FAST, logger }, new MemoryStore());
    await manager.start();
    manager.on('registered', () => {
      throw new Error('listener bug');
    });
    await manager.register({
      serviceName: 'api',
      podName: 'api-1',
      providers: [{ protocol: 'http', ip: '10.0.0.1', port: 80 }],
      healthCheckUrl: 'http://127.0.0.1:9/health',
      notificationUrl: 'http://127.0.0.1:9/notify',
      subscriptions: [],
    });
    await manager.stop();
    expect(errors.map((e) => e.msg)).toEqual(["[core] a 'registered' listener threw"]);
  });
});

describe('GET /services while the manager is not running', () => {
  it('answers 503 before start() and after stop(), and the list while it runs', async () => {
    const store = new MemoryStore();
    const first = new Manager(FAST, store);
    await first.start();
    await first.register({
      serviceName: 'api',
      podName: 'api-1',
      providers: [{ protocol: 'http', ip: '10.0.0.1', port: 80 }],
      healthCheckUrl: 'http://127.0.0.1:9/health',
      notificationUrl: 'http://127.0.0.1:9/notify',
      subscriptions: [],
    });
    const manager = new Manager(FAST, store);
    const server = await listen(http.createServer(createNodeListener(manager)), '');
    try {
      for (const path of ['/services', '/services/api']) {
        const early = await send(server.baseUrl, 'GET', path);
        expect(early.status).toBe(503);
        expect(early.headers['retry-after']).toBe('1');
        expect(early.json.error).toMatch(/not running \(not started yet, or stopped\)/);
      }
      await manager.start();
      const running = await send(server.baseUrl, 'GET', '/services');
      expect(running.status).toBe(200);
      expect(running.json.count).toBe(1);
      await manager.stop();
      expect((await send(server.baseUrl, 'GET', '/services')).status).toBe(503);
    } finally {
      await server.close();
      await first.stop();
    }
  });
});
