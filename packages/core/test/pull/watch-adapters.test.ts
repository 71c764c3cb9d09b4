import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { governanceKoa } from '@governance/core/koa';
import { MemoryStore } from '@governance/store-memory';
import { SseReader } from './sse-reader';
import { PULL_TEST_CONFIG, pod } from './support';

const mounts: Record<string, (manager: Manager) => http.RequestListener> = {
  express: (manager) => {
    const app = express();
    app.use(express.json());
    app.use('/gov', governanceRouter(manager));
    return app;
  },
  koa: (manager) => {
    const app = new Koa();
    app.use(governanceKoa(manager, { prefix: '/gov' }));
    return app.callback();
  },
};

describe.each(Object.keys(mounts))('%s adapter passes the watch stream through', (name) => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('streams events as they happen, and drops the watcher when the client goes away', async () => {
    const manager = new Manager(PULL_TEST_CONFIG, new MemoryStore());
    await manager.start();
    closers.push(() => manager.stop({ timeoutMs: 500 }));
    const server = http.createServer(mounts[name]!(manager));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gov`;

    const reader = new SseReader(`${base}/watch?service=eir`);
    await reader.waitFor(1);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(reader.headers['content-length']).toBeUndefined();
    await manager.register(pod('eir', 'eir-1'));
    const frames = await reader.waitUntil((all) => all.some((f) => f.data.event_type === 'register'));
    expect(frames.find((f) => f.data.event_type === 'register')!.data.pods[0].pod_name).toBe('eir-1');

    // a blocking query through the same adapter
    const index = manager.revisionOf('eir');
    const pending = fetch(`${base}/services/eir?index=${index}&wait=5s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await manager.unregister('eir', 'eir-1');
    const answer = await pending;
    expect(Number(answer.headers.get('x-governance-index'))).toBeGreaterThan(index);

    reader.close();
    const deadline = Date.now() + 2_000;
    while (manager.stats().watchers.active !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(manager.stats().watchers.active).toBe(0);
  });
});
