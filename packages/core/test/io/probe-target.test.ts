import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { backoffDelay as clientBackoffDelay } from '@governance/client';
import { PROBE_BACKOFF, backoffDelay, DELIVERY_BACKOFF } from '../../src/manager/backoff';
import { probeTarget } from '../../src/manager/health-checker';
import { refusedPort, serversClosedAfterEach, startTcpServer } from './test-servers';

const { cleanups: closers, server } = serversClosedAfterEach();

describe('probeTarget over HTTP', () => {
  it('reads at most 4 KiB of an endless 200 body, then closes the connection (issue 12 §2)', async () => {
    let sent = 0;
    let closedAfter: number | undefined;
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const endless = http.createServer((req, res) => {
      const opened = performance.now();
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (!res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) break;
        }
      };
      res.on('drain', pump);
      res.on('close', () => (closedAfter = performance.now() - opened));
      pump();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => endless.close(() => resolve())));
    const agent = new http.Agent({ keepAlive: true });
    closers.push(async () => agent.destroy());
    const { port } = endless.address() as import('node:net').AddressInfo;
    const result = await probeTarget(`http://127.0.0.1:${port}/health`, { timeoutMs: 3000, retries: 0, agent });
    expect(result).toMatchObject({ healthy: true, attempts: 1 });
    const deadline = Date.now() + 2000;
    while (closedAfter === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    // Before: the body was drained until the 3 s attempt timer fired (24.6 MB in the run).
    console.log(`[probe] endless body: closed after ${closedAfter?.toFixed(0)} ms, ${sent} bytes accepted by the kernel`);
    expect(closedAfter).toBeLessThan(1000);
    expect(sent).toBeLessThan(8 * 1024 * 1024);
  });

  it('reports healthy on a 2xx answer after one GET', async () => {
    const s = await server(() => 204);
    const result = await probeTarget(`${s.url}/health`, { timeoutMs: 1000, retries: 2 });
    expect(result).toMatchObject({ healthy: true, attempts: 1 });
    expect(result.error).toBeUndefined();
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /health']);
  });

  it('reports unhealthy on 500 after 1 + retries attempts', async () => {
    const s = await server(() => 500);
    const result = await probeTarget(`${s.url}/health`, { timeoutMs: 1000, retries: 2 });
    expect(result).toMatchObject({ healthy: false, attempts: 3, error: 'HTTP 500' });
    expect(s.requests).toHaveLength(3);
  });

  it('stops retrying at the first healthy answer', async () => {
    const s = await server((_req, index) => (index < 2 ? 503 : 200));
    const result = await probeTarget(`${s.url}/h`, { timeoutMs: 1000, retries: 5 });
    expect(result).toMatchObject({ healthy: true, attempts: 3 });
    expect(s.requests).toHaveLength(3);
  });

  it('times out each attempt when the server never answers', async () => {
    const s = await server(() => 'hang');
    const result = await probeTarget(`${s.url}/h`, { timeoutMs: 100, retries: 1 });
    expect(result).toMatchObject({ healthy: false, attempts: 2, error: 'timed out after 100 ms' });
    expect(s.requests).toHaveLength(2);
  });

  it('reports a refused connection', async () => {
    const port = await refusedPort();
    const result = await probeTarget(`http://127.0.0.1:${port}/h`, { timeoutMs: 1000, retries: 1 });
    expect(result.healthy).toBe(false);
    expect(result.attempts).toBe(2);
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('reuses one keep-alive socket when given an agent', async () => {
    const s = await server(() => 200);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await probeTarget(`${s.url}/h`, { timeoutMs: 1000, retries: 0, agent })).healthy).toBe(true);
      }
      expect(s.requests).toHaveLength(3);
      expect(s.connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('resolves unhealthy at once when its signal aborts', async () => {
    const s = await server(() => 'hang');
    const controller = new AbortController();
    const pending = probeTarget(`${s.url}/h`, { timeoutMs: 60_000, retries: 3, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ healthy: false, attempts: 1 });
    expect(result.error).toMatch(/^cancelled/);
  });

  it('rejects URLs it cannot probe without making a request', async () => {
    for (const url of ['not a url', 'ftp://127.0.0.1/x', 'tcp://127.0.0.1']) {
      const result = await probeTarget(url, { timeoutMs: 100, retries: 3 });
      expect(result).toMatchObject({ healthy: false, attempts: 0 });
      expect(result.error).toContain(JSON.stringify(url));
      expect(result.error).toMatch(/^\[core\]/);
    }
  });
});

describe('probeTarget over TCP', () => {
  it('is healthy when the connection opens', async () => {
    const tcp = await startTcpServer();
    closers.push(() => tcp.close());
    const result = await probeTarget(`tcp://127.0.0.1:${tcp.port}`, { timeoutMs: 1000, retries: 0 });
    expect(result).toMatchObject({ healthy: true, attempts: 1 });
  });

  it('is unhealthy when the connection is refused, after its retries', async () => {
    const port = await refusedPort();
    const result = await probeTarget(`tcp://127.0.0.1:${port}`, { timeoutMs: 1000, retries: 2 });
    expect(result).toMatchObject({ healthy: false, attempts: 3 });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});

describe('backoff', () => {
  it('keeps probe retries short: 50 ms doubling, never above 1 s', () => {
    const delays = Array.from({ length: 12 }, (_, retry) => backoffDelay(retry, PROBE_BACKOFF));
    expect(delays.slice(0, 5)).toEqual([50, 100, 200, 400, 800]);
    expect(Math.max(...delays)).toBe(1000);
  });

  it('numbers retries from 0 like the client, with the same ceiling', () => {
    const policy = { baseMs: 100, maxMs: 1_000, jitter: false };
    for (let retry = 0; retry < 12; retry++) {
      const ceiling = clientBackoffDelay(retry, { initialDelayMs: 100, maxDelayMs: 1_000 }, () => 1);
      expect(backoffDelay(retry, policy), `retry ${retry}`).toBe(ceiling);
    }
  });

  it('jitters delivery retries within [d/2, d] and caps them', () => {
    for (let retry = 0; retry < 20; retry++) {
      const full = Math.min(DELIVERY_BACKOFF.baseMs * 2 ** retry, DELIVERY_BACKOFF.maxMs);
      for (let i = 0; i < 20; i++) {
        const delay = backoffDelay(retry, DELIVERY_BACKOFF);
        expect(delay).toBeGreaterThanOrEqual(full / 2 - 1);
        expect(delay).toBeLessThanOrEqual(full);
      }
    }
  });
});
