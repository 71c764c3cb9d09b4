import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { DiscoveryCache, GovernanceClient, type WatchEvent } from '@governance/client';

const CONFIG = { healthCheckInterval: 3_600_000, notificationInterval: 60_000, stopTimeout: 500 };

function pod(serviceName: string, podName: string) {
  return {
    serviceName,
    podName,
    providers: [{ protocol: 'http' as const, ip: '10.0.0.1', port: 9000 }],
    healthCheckUrl: 'http://127.0.0.1:9/health',
    notificationUrl: 'http://127.0.0.1:9/notify',
    subscriptions: [],
  };
}

describe('GovernanceClient.watch', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function start() {
    const manager = new Manager(CONFIG, new MemoryStore());
    await manager.start();
    closers.push(() => manager.stop({ timeoutMs: 500 }));
    const server = http.createServer(createNodeListener(manager, { watch: { retryMs: 50 } }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const managerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new GovernanceClient({ managerUrl, serviceName: 'watcher', podName: 'w-1' });
    return { manager, server, client };
  }

  it('yields the current state, then every change; after the connection is cut it reconnects and misses nothing', async () => {
    const { manager, server, client } = await start();
    await manager.register(pod('eir', 'eir-1'));
    const controller = new AbortController();
    closers.push(() => controller.abort());
    const seen: WatchEvent[] = [];
    let reconnects = 0;
    const done = (async () => {
      for await (const event of client.watch(['eir'], { signal: controller.signal, onReconnect: () => reconnects++ })) seen.push(event);
    })();
    const until = async (predicate: () => boolean) => {
      const deadline = Date.now() + 5_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out; seen ${JSON.stringify(seen.map((e) => e.payload.pods.length))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ serviceName: 'eir', eventType: 'reconcile', revision: manager.revisionOf('eir') });

    // Cut every connection, then change the group while the client is away.
    server.closeAllConnections();
    await manager.register(pod('eir', 'eir-2'));
    await manager.register(pod('eir', 'eir-3'));
    await until(() => seen.at(-1)?.payload.pods.length === 3);
    expect(reconnects).toBeGreaterThanOrEqual(1);
    const revisions = seen.map((e) => e.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);

    await manager.unregister('eir', 'eir-1');
    await until(() => seen.at(-1)?.eventType === 'unregister');
    expect(seen.at(-1)!.payload.pods.map((p) => p.pod_name).sort()).toEqual(['eir-2', 'eir-3']);
    controller.abort();
    await done;
  });

  it('feeds a DiscoveryCache the same way push notifications do', async () => {
    const { manager, client } = await start();
    const cache = new DiscoveryCache();
    const changes: string[] = [];
    cache.on('change', (name, pods) => changes.push(`${name}:${pods.length}`));
    const controller = new AbortController();
    closers.push(() => controller.abort());
    const following = cache.follow(client.watch(['eir', 'hss'], { signal: controller.signal }));
    await manager.register(pod('eir', 'eir-1'));
    const deadline = Date.now() + 5_000;
    while (cache.pods('eir').length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(cache.pods('eir').map((p) => p.podName)).toEqual(['eir-1']);
    expect(cache.services().sort()).toEqual(['eir', 'hss']);
    expect(changes).toContain('eir:1');
    controller.abort();
    await following;
  });

  it('ends with an error the manager cannot fix by retrying (400)', async () => {
    const { client } = await start();
    const iterate = async () => {
      for await (const _ of client.watch(['bad:name'])) void _;
    };
    await expect(iterate()).rejects.toThrow(/GET \/watch answered 400/);
  });
});
