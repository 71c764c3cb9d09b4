import http from 'node:http';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { governanceKoa } from '@governance/core/koa';
import { MemoryStore } from '@governance/store-memory';
import { postJson, send } from './support/http-client';
import { TEST_CONFIG, httpScenarios, listen, wireRegistration, type MountedServer } from './support/scenarios';

httpScenarios('koa', (manager, options) => {
  const app = new Koa();
  app.use(governanceKoa(manager, { ...options, prefix: '/gov' }));
  return listen(http.createServer(app.callback()), '/gov');
});

describe('koa middleware', () => {
  let manager: Manager | undefined;
  let server: MountedServer | undefined;

  afterEach(async () => {
    await server?.close();
    await manager?.stop({ timeoutMs: 500 });
  });

  async function startManager(): Promise<Manager> {
    manager = new Manager(TEST_CONFIG, new MemoryStore());
    await manager.start();
    return manager;
  }

  it('calls next() outside its prefix, and for non-API paths when mounted at the root', async () => {
    const app = new Koa();
    const m = await startManager();
    app.use(governanceKoa(m, { prefix: '/gov' }));
    app.use(governanceKoa(m));
    app.use((ctx) => {
      ctx.body = { host: ctx.path };
    });
    server = await listen(http.createServer(app.callback()), '');

    expect((await send(server.baseUrl, 'GET', '/elsewhere')).json).toEqual({ host: '/elsewhere' });
    expect((await send(server.baseUrl, 'GET', '/government')).json).toEqual({ host: '/government' });
    expect((await send(server.baseUrl, 'GET', '/gov/nope')).status).toBe(404);
    expect((await send(server.baseUrl, 'GET', '/health')).json).toEqual({ status: 'healthy' });
    expect((await postJson(server.baseUrl, '/gov/register', JSON.stringify(wireRegistration()))).status).toBe(201);
    expect((await send(server.baseUrl, 'GET', '/services')).json.count).toBe(1);
  });

  it('uses a body an earlier middleware parsed onto ctx.request.body', async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      if (ctx.get('x-pre-parsed')) (ctx.request as { body?: unknown }).body = wireRegistration({ pod_name: 'parsed-before' });
      await next();
    });
    app.use(governanceKoa(await startManager(), { prefix: '/gov' }));
    server = await listen(http.createServer(app.callback()), '/gov');

    const answer = await postJson(server.baseUrl, '/register', '', { 'x-pre-parsed': '1' });
    expect(answer.status).toBe(201);
    expect(answer.json.pod_name).toBe('parsed-before');
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
  });
});
