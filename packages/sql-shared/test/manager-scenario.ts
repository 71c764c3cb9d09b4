import { Manager, type NotificationPayload, type RegistryStore, type ServiceRegistration } from '@governance/core';
import type { StoreInspector } from '@governance/core/testing';
import { expect } from 'vitest';
import { startStubServer, type StubServer } from '../../../test/support/stub-server';
import { waitFor } from '../../../test/support/wait';

/** A stub HTTP server (test/support/stub-server) playing every pod: `/health` answers 200, `/notify/<pod>` records payloads. */
class PodServer {
  readonly #stub: StubServer;

  private constructor(stub: StubServer) {
    this.#stub = stub;
  }

  static async start(): Promise<PodServer> {
    return new PodServer(await startStubServer((request) => (request.method === 'GET' ? 200 : { status: 200, body: '{}' })));
  }

  registration(serviceName: string, podName: string, subscriptions: string[] = []): ServiceRegistration {
    return {
      serviceName,
      podName,
      providers: [{ protocol: 'http', ip: '127.0.0.1', port: 9000 }],
      healthCheckUrl: `${this.#stub.url}/health`,
      notificationUrl: `${this.#stub.url}/notify/${podName}`,
      subscriptions,
    };
  }

  /** The payloads `pod` received, in arrival order. */
  received(pod: string): NotificationPayload[] {
    return this.#stub.requests
      .filter((r) => r.method === 'POST' && decodeURIComponent(r.path.split('/')[2] ?? '') === pod)
      .map((r) => JSON.parse(r.text) as NotificationPayload);
  }

  /** Resolves with the first payload `pod` received that matches, waiting up to `timeoutMs`. */
  async waitFor(pod: string, match: (p: NotificationPayload) => boolean, timeoutMs = 8000): Promise<NotificationPayload> {
    await waitFor(() => this.received(pod).some(match), `a matching notification for ${pod}`, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}; got ${JSON.stringify(this.received(pod))}`);
    });
    return this.received(pod).find(match)!;
  }

  close(): Promise<void> {
    return this.#stub.close();
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
