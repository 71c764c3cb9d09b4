import http from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { governanceRouter } from '@governance/core/express';
import { adapterTestBed } from './support/adapter-test-bed';
import { postJson, send } from './support/http-client';
import { expectHostRoutesAroundRootMount } from './support/root-mount';
import { lingeringCloseScenarios } from './support/lingering-close-scenarios';
import { httpScenarios, listen, wireRegistration, type MountGovernance } from './support/scenarios';

const mount: MountGovernance = (manager, options) => {
  const app = express();
  app.use('/gov', governanceRouter(manager, options));
  return listen(http.createServer(app), '/gov');
};
httpScenarios('express', mount);
lingeringCloseScenarios('express', mount);

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

  it('when express.json() already read the body, an early refusal keeps the connection: nothing is left to drain', async () => {
    const app = express();
    app.use(express.json({ limit: '2mb' }));
    const authorize = (r: { method: string }) => (r.method === 'POST' ? { status: 401 as const, message: '[test] token required' } : undefined);
    app.use('/gov', governanceRouter(await startManager(), { authorize }));
    const server = await serve(http.createServer(app), '/gov');
    let connections = 0;
    server.server.on('connection', () => connections++);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = JSON.stringify({ ...wireRegistration(), pad: ' '.repeat(1024 * 1024) });
      const request = (method: string, path: string, payload?: string) =>
        new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
          const req = http.request(`${server.baseUrl}${path}`, { method, agent, headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          });
          req.on('error', reject);
          req.end(payload);
        });
      expect(await request('POST', '/register', body)).toEqual({ status: 401, connection: 'keep-alive' });
      expect(await request('GET', '/health')).toEqual({ status: 200, connection: 'keep-alive' });
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('mounted at the root of an app with its own routes, hands every non-API path to them by default', async () => {
    const app = express();
    app.get('/status', (_req, res) => {
      res.json({ host: 'before' });
    });
    app.use(governanceRouter(await startManager()));
    app.use((req, res) => {
      res.status(req.method === 'POST' ? 201 : 404).json({ host: 'after', path: req.path });
    });
    const server = await serve(http.createServer(app), '');
    await expectHostRoutesAroundRootMount(server.baseUrl);
  });

  it("answers unknown paths below its mount path with a JSON 404 when unknownRoutes is 'respond'", async () => {
    const app = express();
    app.use('/gov', governanceRouter(await startManager(), { unknownRoutes: 'respond' }));
    app.use((_req, res) => {
      res.status(299).end('host');
    });
    const server = await serve(http.createServer(app), '');

    const unknown = await send(server.baseUrl, 'GET', '/gov/status');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/^\[core\] no route GET \/status/);
    expect((await send(server.baseUrl, 'GET', '/elsewhere')).status).toBe(299);
  });
});
