import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { createNodeListener } from '@governance/core/node';
import { adapterTestBed } from './support/adapter-test-bed';
import { postJson, send } from './support/http-client';
import { expectHostRoutesAroundRootMount } from './support/root-mount';
import { lingeringCloseScenarios } from './support/lingering-close-scenarios';
import { httpScenarios, listen, wireRegistration, type MountGovernance } from './support/scenarios';

const mount: MountGovernance = (manager, options) =>
  listen(http.createServer(createNodeListener(manager, { ...options, prefix: '/gov' })), '/gov');
httpScenarios('node:http', mount);
lingeringCloseScenarios('node:http', mount);

describe('node:http listener', () => {
  const { startManager, serve } = adapterTestBed();

  it('serves at the root without a prefix and 404s paths outside a prefix', async () => {
    const manager = await startManager();
    const root = await listen(http.createServer(createNodeListener(manager)), '');
    const prefixed = await listen(http.createServer(createNodeListener(manager, { prefix: '/gov/' })), '');
    try {
      expect((await postJson(root.baseUrl, '/register', JSON.stringify(wireRegistration()))).status).toBe(201);
      expect((await send(prefixed.baseUrl, 'GET', '/gov/services')).json.count).toBe(1);
      expect((await send(prefixed.baseUrl, 'GET', '/gov')).status).toBe(404);
      const outside = await send(prefixed.baseUrl, 'GET', '/government/services');
      expect(outside.status).toBe(404);
      expect(outside.json.error).toMatch(/^\[core\] no route GET \/government\/services/);
      // An API path without the prefix is outside it too.
      const bare = await send(prefixed.baseUrl, 'GET', '/services');
      expect(bare.status).toBe(404);
      expect(bare.json.error).toMatch(/^\[core\] no route GET \/services;/);
    } finally {
      await root.close();
      await prefixed.close();
    }
  });

  it('hands other paths to next() inside a host router and uses a body parsed by an earlier layer', async () => {
    const manager = await startManager();
    const listener = createNodeListener(manager, { prefix: '/gov' });
    const server = await serve(
      http.createServer((req, res) => {
        if (req.url === '/gov/register' && req.headers['x-pre-parsed']) {
          (req as http.IncomingMessage & { body?: unknown }).body = wireRegistration({ pod_name: 'parsed-before' });
        }
        listener(req, res, () => {
          res.statusCode = 299;
          res.end('host route');
        });
      }),
      '',
    );
    const host = await send(server.baseUrl, 'GET', '/elsewhere');
    expect(host.status).toBe(299);
    expect(host.text).toBe('host route');
    expect((await send(server.baseUrl, 'GET', '/gov/unknown')).status).toBe(299);
    const parsed = await postJson(server.baseUrl, '/gov/register', '', { 'x-pre-parsed': '1' });
    expect(parsed.status).toBe(201);
    expect(parsed.json.pod_name).toBe('parsed-before');
  });

  it('mounted at the root of a host router with its own routes, hands every non-API path to them by default', async () => {
    const listener = createNodeListener(await startManager());
    const hostRoutes = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      res.writeHead(req.method === 'POST' ? 201 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ host: 'after', path: req.url }));
    };
    const server = await serve(
      http.createServer((req, res) => {
        if (req.url === '/status') res.end(JSON.stringify({ host: 'before' }));
        else listener(req, res, () => hostRoutes(req, res));
      }),
      '',
    );
    await expectHostRoutesAroundRootMount(server.baseUrl);
  });

  it("answers unknown paths inside its prefix with a JSON 404 when unknownRoutes is 'respond', even with next", async () => {
    const listener = createNodeListener(await startManager(), { prefix: '/gov', unknownRoutes: 'respond' });
    const server = await serve(
      http.createServer((req, res) =>
        listener(req, res, () => {
          res.statusCode = 299;
          res.end('host route');
        }),
      ),
      '',
    );
    const unknown = await send(server.baseUrl, 'GET', '/gov/unknown');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/^\[core\] no route GET \/unknown/);
    expect((await send(server.baseUrl, 'GET', '/elsewhere')).status).toBe(299);
  });

  it('answers HEAD without a body', async () => {
    const manager = await startManager();
    const server = await serve(http.createServer(createNodeListener(manager)), '');
    const head = await send(server.baseUrl, 'HEAD', '/health');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });
});
