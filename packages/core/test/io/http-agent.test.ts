import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeTarget } from '../../src/manager/health-checker';
import { requestTarget } from '../../src/manager/http-agent';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('requestTarget', () => {
  it('turns a URL into request options once: IPv6 host, port, path with query, decoded credentials', () => {
    expect(requestTarget(new URL('http://user:p%40ss@[::1]:8080/a/b?x=1&y=%20'))).toEqual({
      protocol: 'http:',
      hostname: '::1',
      port: 8080,
      path: '/a/b?x=1&y=%20',
      auth: 'user:p@ss',
    });
    expect(requestTarget(new URL('https://example.test'))).toEqual({
      protocol: 'https:',
      hostname: 'example.test',
      port: undefined,
      path: '/',
      auth: undefined,
    });
  });
});

describe('keep-alive socket closed by the server', () => {
  it('resends once on a fresh socket instead of reporting the pod unhealthy', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      const first = connections === 1;
      let requests = 0;
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        if (!chunk.includes('\r\n\r\n')) return;
        requests += 1;
        if (first && requests === 2) {
          socket.destroy();
          return;
        }
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => {
      agent.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `http://127.0.0.1:${port}/health`;
    expect(await probeTarget(url, { timeoutMs: 1000, retries: 0, agent })).toMatchObject({ healthy: true });
    expect(await probeTarget(url, { timeoutMs: 1000, retries: 0, agent })).toMatchObject({ healthy: true, attempts: 1 });
    expect(connections).toBe(2);
  });
});
