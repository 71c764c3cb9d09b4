import http from 'node:http';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { governanceKoa } from '@governance/core/koa';
import { adapterTestBed } from './support/adapter-test-bed';
import { postJson, send } from './support/http-client';
import { expectHostRoutesAroundRootMount } from './support/root-mount';
import { lingeringCloseScenarios } from './support/lingering-close-scenarios';
import { httpScenarios, listen, wireRegistration, type MountGovernance } from './support/scenarios';

const mount: MountGovernance = (manager, options) => {
  const app = new Koa();
  app.use(governanceKoa(manager, { ...options, prefix: '/gov' }));
  return listen(http.createServer(app.callback()), '/gov');
};
httpScenarios('koa', mount);
lingeringCloseScenarios('koa', mount);

describe('koa middleware', () => {
  const { startManager, serve } = adapterTestBed();

  it('mounted at the root of an app with its own routes, hands every non-API path to them by default', async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      if (ctx.path === '/status') ctx.body = { host: 'before' };
      else await next();
    });
    app.use(governanceKoa(await startManager()));
    app.use((ctx) => {
      ctx.status = ctx.method === 'POST' ? 201 : 404;
      ctx.body = { host: 'after', path: ctx.path };
    });
    const server = await serve(http.createServer(app.callback()), '');
    await expectHostRoutesAroundRootMount(server.baseUrl);
  });

  it("calls next() outside its prefix, and answers unknown paths inside it with a JSON 404 when unknownRoutes is 'respond'", async () => {
    const app = new Koa();
    const m = await startManager();
    app.use(governanceKoa(m, { prefix: '/gov', unknownRoutes: 'respond' }));
    app.use(governanceKoa(m, { prefix: '/api' }));
    app.use((ctx) => {
      ctx.body = { host: ctx.path };
    });
    const server = await serve(http.createServer(app.callback()), '');

    expect((await send(server.baseUrl, 'GET', '/elsewhere')).json).toEqual({ host: '/elsewhere' });
    expect((await send(server.baseUrl, 'GET', '/government')).json).toEqual({ host: '/government' });
    const unknown = await send(server.baseUrl, 'GET', '/gov/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/^\[core\] no route GET \/nope/);
    expect((await send(server.baseUrl, 'GET', '/api/nope')).json).toEqual({ host: '/api/nope' });
    expect((await postJson(server.baseUrl, '/gov/register', JSON.stringify(wireRegistration()))).status).toBe(201);
    expect((await send(server.baseUrl, 'GET', '/api/services')).json.count).toBe(1);
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
