import http from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { governanceRouter } from '@governance/core/express';
import { adapterTestBed } from './support/adapter-test-bed';
import { postJson, send } from './support/http-client';
import { httpScenarios, listen, wireRegistration } from './support/scenarios';

httpScenarios('express', (manager, options) => {
  const app = express();
  app.use('/gov', governanceRouter(manager, options));
  return listen(http.createServer(app), '/gov');
});

describe('express router', () => {
  const { startManager, serve } = adapterTestBed();

  it('uses the body express.json() already parsed, and still refuses __proto__ keys in it', async () => {
    const app = express();
    app.use(express.json());
    app.use('/gov', governanceRouter(await startManager()));
    const server = await serve(http.createServer(app), '/gov');

    const created = await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration()));
    expect(created.status).toBe(201);
    const polluted = await postJson(server.baseUrl, '/register', `{"__proto__": {"admin": true}, "service_name": "x"}`);
    expect(polluted.status).toBe(400);
    expect(polluted.json.error).toMatch(/__proto__/);
    expect((await send(server.baseUrl, 'GET', '/services')).json.count).toBe(1);
  });

  it('reads the stream when an earlier parser only left an empty {} placeholder (Express 4 style)', async () => {
    const app = express();
    app.use((req, _res, next) => {
      req.body = {};
      next();
    });
    app.use('/gov', governanceRouter(await startManager()));
    const server = await serve(http.createServer(app), '/gov');

    const created = await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration({ pod_name: 'from-stream' })));
    expect(created.status).toBe(201);
    expect(created.json.pod_name).toBe('from-stream');
  });

  it("leaves the host app's other routes alone", async () => {
    const app = express();
    const manager = await startManager();
    app.use('/gov', governanceRouter(manager));
    app.use(governanceRouter(manager, { unknownRoutes: 'next' }));
    app.get('/status', (_req, res) => {
      res.json({ host: true });
    });
    const server = await serve(http.createServer(app), '');

    expect((await send(server.baseUrl, 'GET', '/status')).json).toEqual({ host: true });
    expect((await send(server.baseUrl, 'GET', '/health')).json).toEqual({ status: 'healthy' });
    expect((await send(server.baseUrl, 'GET', '/gov/status')).status).toBe(404);
  });
});
