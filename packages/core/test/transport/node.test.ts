import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { postJson, send } from './support/http-client';
import { TEST_CONFIG, httpScenarios, listen, wireRegistration, type MountedServer } from './support/scenarios';

httpScenarios('node:http', (manager, options) =>
  listen(http.createServer(createNodeListener(manager, { ...options, prefix: '/gov' })), '/gov'),
);

describe('node:http listener', () => {
  let manager: Manager | undefined;
  let server: MountedServer | undefined;

  afterEach(async () => {
    await server?.close();
    await manager?.stop({ timeoutMs: 500 });
  });

  it('serves at the root without a prefix and 404s paths outside a prefix', async () => {
    manager = new Manager(TEST_CONFIG, new MemoryStore());
    await manager.start();
    const root = await listen(http.createServer(createNodeListener(manager)), '');
    const prefixed = await listen(http.createServer(createNodeListener(manager, { prefix: '/gov/' })), '');
    try {
      expect((await postJson(root.baseUrl, '/register', JSON.stringify(wireRegistration()))).status).toBe(201);
      expect((await send(prefixed.baseUrl, 'GET', '/gov/services')).json.count).toBe(1);
      expect((await send(prefixed.baseUrl, 'GET', '/gov')).status).toBe(404);
      const outside = await send(prefixed.baseUrl, 'GET', '/government/services');
      expect(outside.status).toBe(404);
      expect(outside.json.error).toMatch(/^\[core\] no route GET \/government\/services/);
    } finally {
      await root.close();
      await prefixed.close();
    }
  });

  it('hands other paths to next() inside a host router and uses a body parsed by an earlier layer', async () => {
    manager = new Manager(TEST_CONFIG, new MemoryStore());
    await manager.start();
    const listener = createNodeListener(manager, { prefix: '/gov' });
    server = await listen(
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

  it('answers HEAD without a body', async () => {
    manager = new Manager(TEST_CONFIG, new MemoryStore());
    await manager.start();
    server = await listen(http.createServer(createNodeListener(manager)), '');
    const head = await send(server.baseUrl, 'HEAD', '/health');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
  });
});
