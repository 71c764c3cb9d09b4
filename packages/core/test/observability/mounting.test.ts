import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager, type GovernanceHandlerOptions } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { governanceKoa } from '@governance/core/koa';
import { createNodeListener } from '@governance/core/node';
import { collectMetrics } from '@governance/core/prometheus';
import { createStatusPage } from '@governance/core/ui';
import { MemoryStore } from '@governance/store-memory';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Mount = (manager: Manager, options: GovernanceHandlerOptions) => http.Server;

const MOUNTS: Record<string, Mount> = {
  express: (manager, options) => {
    const app = express();
    app.use('/gov', governanceRouter(manager, options));
    app.get('/gov/other', (_req, res) => res.send('host route'));
    return http.createServer(app);
  },
  koa: (manager, options) => {
    const app = new Koa();
    app.use(governanceKoa(manager, { ...options, prefix: '/gov' }));
    app.use((ctx) => {
      if (ctx.path === '/gov/other') ctx.body = 'host route';
    });
    return http.createServer(app.callback());
  },
  node: (manager, options) => {
    const listener = createNodeListener(manager, { ...options, prefix: '/gov' });
    return http.createServer((req, res) =>
      listener(req, res, () => {
        if (req.url === '/gov/other') res.end('host route');
        else res.writeHead(404).end();
      }),
    );
  },
};

async function serve(mount: Mount, withObservability: boolean, extra: GovernanceHandlerOptions = {}) {
  const manager = new Manager({}, new MemoryStore());
  await manager.start();
  const options: GovernanceHandlerOptions = { ...extra };
  if (withObservability) {
    const metrics = collectMetrics(manager);
    const statusPage = createStatusPage(manager);
    Object.assign(options, { metrics, statusPage });
    cleanups.push(() => metrics.close(), () => statusPage.close());
  }
  const server = mount(manager, options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => manager.stop(), () => new Promise<void>((resolve) => server.close(() => resolve())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gov`, manager };
}

describe.each(Object.entries(MOUNTS))('/metrics and /ui on the %s adapter', (_name, mount) => {
  it('serve the exposition, the page and its assets below the mount path', async () => {
    const { base } = await serve(mount, true);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toContain('# TYPE governance_pods gauge');

    for (const path of ['/ui', '/ui/']) {
      const page = await fetch(`${base}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const html = await page.text();
      const css = /href="([^"]+\.css)"/.exec(html)![1]!;
      const js = /src="([^"]+\.js)"/.exec(html)![1]!;
      // The relative asset URLs resolve below /ui from either form of the page URL.
      expect((await fetch(new URL(css, `${base}${path}`))).headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect((await fetch(new URL(js, `${base}${path}`))).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(html).not.toMatch(/<script>|<style>| style=| on[a-z]+=/);
    }
    expect((await fetch(`${base}/ui/live`)).status).toBe(200);
    expect((await fetch(`${base}/ui/missing`)).status).toBe(404);
    expect((await fetch(`${base}/ui`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('leave /metrics and /ui to the host when not configured', async () => {
    const { base } = await serve(mount, false);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    expect((await fetch(`${base}/ui`)).status).toBe(404);
    expect(await (await fetch(`${base}/other`)).text()).toBe('host route');
  });
});

describe('/metrics and /ui with tokens', () => {
  const reader = 'reader-token-0123456789';
  const writer = 'writer-token-0123456789';
  const tokens = [
    { token: reader, services: ['*'], read: true },
    { token: writer, services: ['*'] },
  ];
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('need a read token: bearer for scrapers, the Basic password for browsers', async () => {
    const { base } = await serve(MOUNTS.node!, true, { tokens });
    const none = await fetch(`${base}/ui`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="governance"/);
    expect((await fetch(`${base}/metrics`)).headers.get('www-authenticate')).toMatch(/^Bearer/);

    expect((await fetch(`${base}/ui`, { headers: { authorization: basic('ops', reader) } })).status).toBe(200);
    expect((await fetch(`${base}/ui/live`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);

    expect((await fetch(`${base}/ui`, { headers: { authorization: basic('ops', 'wrong-token-0123456789') } })).status).toBe(401);
    expect((await fetch(`${base}/ui`, { headers: { authorization: basic('ops', writer) } })).status).toBe(403);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${writer}` } })).status).toBe(403);
    // Basic is accepted only for the page, not for the API.
    expect((await fetch(`${base}/metrics`, { headers: { authorization: basic('ops', reader) } })).status).toBe(401);
    expect((await fetch(`${base}/services`, { headers: { authorization: basic('ops', reader) } })).status).toBe(401);
  });
});
