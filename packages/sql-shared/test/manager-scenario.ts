import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Manager, type NotificationPayload, type RegistryStore, type ServiceRegistration } from '@governance/core';
import type { StoreInspector } from '@governance/core/testing';
import { expect } from 'vitest';

/** A real HTTP server on 127.0.0.1 playing every pod: `/health` answers 200, `/notify/<pod>` records payloads. */
class PodServer {
  readonly #server = http.createServer((req, res) => this.#handle(req, res));
  readonly #inbox = new Map<string, NotificationPayload[]>();
  readonly #waiters = new Set<() => void>();
  base = '';

  static async start(): Promise<PodServer> {
    const pods = new PodServer();
    await new Promise<void>((resolve) => pods.#server.listen(0, '127.0.0.1', resolve));
    pods.base = `http://127.0.0.1:${(pods.#server.address() as AddressInfo).port}`;
    return pods;
  }

  registration(serviceName: string, podName: string, subscriptions: string[] = []): ServiceRegistration {
    return {
      serviceName,
      podName,
      providers: [{ protocol: 'http', ip: '127.0.0.1', port: 9000 }],
      healthCheckUrl: `${this.base}/health`,
      notificationUrl: `${this.base}/notify/${podName}`,
      subscriptions,
    };
  }

  /** Resolves with the first payload `pod` received that matches, waiting up to `timeoutMs`. */
  async waitFor(pod: string, match: (p: NotificationPayload) => boolean, timeoutMs = 8000): Promise<NotificationPayload> {
    const find = () => (this.#inbox.get(pod) ?? []).find(match);
    const found = find();
    if (found !== undefined) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching notification for ${pod}; got ${JSON.stringify(this.#inbox.get(pod) ?? [])}`));
      }, timeoutMs);
      const check = () => {
        const hit = find();
        if (hit === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(hit);
      };
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'GET') {
      res.writeHead(200).end('ok');
      return;
    }
    const pod = decodeURIComponent((req.url ?? '').split('/')[2] ?? '');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = this.#inbox.get(pod) ?? [];
      list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as NotificationPayload);
      this.#inbox.set(pod, list);
      res.writeHead(200).end('{}');
      for (const waiter of [...this.#waiters]) waiter();
    });
  }
}

const CONFIG = { healthCheckInterval: 60_000, notificationInterval: 3_600_000, stopTimeout: 2000 };

/**
 * End to end on a real database: pods register through a Manager, a subscriber is notified by
 * HTTP, the rows are checked through the raw driver, and a second Manager on a new store
 * instance finds everything again (acknowledged = committed) and notifies on unregister.
 */
export async function runManagerScenario(openStore: () => RegistryStore, inspect: StoreInspector): Promise<void> {
  const pods = await PodServer.start();
  let manager: Manager | undefined;
  try {
    manager = new Manager(CONFIG, openStore());
    await manager.start();
    await manager.register(pods.registration('eir', 'eir-1'));
    await manager.register(pods.registration('http-gw', 'http-gw-1', ['eir']));
    expect((await inspect.serviceKeys()).sort()).toEqual(['eir:eir-1', 'http-gw:http-gw-1']);
    expect(await inspect.subscriptionPairs()).toEqual([['http-gw:http-gw-1', 'eir']]);

    await manager.register(pods.registration('eir', 'eir-2'));
    const registered = await pods.waitFor(
      'http-gw-1',
      (p) => p.service_name === 'eir' && p.event_type === 'register' && p.pods.some((x) => x.pod_name === 'eir-2'),
    );
    expect(registered.pods.map((x) => x.pod_name).sort()).toEqual(['eir-1', 'eir-2']);
    await manager.stop();

    manager = new Manager(CONFIG, openStore());
    await manager.start();
    expect((await manager.getServicePods('eir')).map((s) => s.podName).sort()).toEqual(['eir-1', 'eir-2']);
    expect(await manager.unregister('eir', 'eir-1')).toBe(true);
    const unregistered = await pods.waitFor('http-gw-1', (p) => p.service_name === 'eir' && p.event_type === 'unregister');
    expect(unregistered.pods.map((x) => x.pod_name)).toEqual(['eir-2']);
    // The second manager's revisions continue above the first one's.
    expect(registered.revision).toEqual(expect.any(Number));
    expect(unregistered.revision).toEqual(expect.any(Number));
    expect(unregistered.revision!).toBeGreaterThan(registered.revision!);
    expect((await inspect.serviceKeys()).sort()).toEqual(['eir:eir-2', 'http-gw:http-gw-1']);
  } finally {
    await manager?.stop();
    await pods.close();
  }
}
