import http from 'node:http';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { governanceKoa } from '@governance/core/koa';
import { adapterTestBed } from './support/adapter-test-bed';
import { postJson, send } from './support/http-client';
import { httpScenarios, listen, wireRegistration } from './support/scenarios';

httpScenarios('koa', (manager, options) => {
  const app = new Koa();
  app.use(governanceKoa(manager, { ...options, prefix: '/gov' }));
  return listen(http.createServer(app.callback()), '/gov');
});

describe('koa middleware', () => {
  const { startManager, serve } = adapterTestBed();

  it('calls next() outside its prefix, and for non-API paths when mounted at the root', async () => {
    const app = new Koa();
    const m = await startManager();
    app.use(governanceKoa(m, { prefix: '/gov' }));
    app.use(governanceKoa(m));
    app.use((ctx) => {
      ctx.body = { host: ctx.path };
    });
    const server = await serve(http.createServer(app.callback()), '');

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
    const server = await serve(http.createServer(app.callback()), '/gov');

    const answer = await postJson(server.baseUrl, '/register', '', { 'x-pre-parsed': '1' });
    expect(answer.status).toBe(201);
    expect(answer.json.pod_name).toBe('parsed-before');
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
  });
});
