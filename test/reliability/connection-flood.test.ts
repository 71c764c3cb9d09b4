/**
 * Issue 12 §5: a flood of connections that never send a byte must not take the example server
 * down. 2,000 idle TCP connections are held open against the telco-manager example (with its
 * SERVER_LIMITS, headersTimeout shortened to 3 s to keep the test short); meanwhile a separate
 * client sends GET /health on a new connection each time, and a health-check sweep probes 20
 * pods. Then the server must close the idle connections at headersTimeout.
 * FLOOD_CONNECTIONS changes the flood size; FLOOD_NODE_DEFAULTS=1 runs it with Node's defaults.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
// @ts-expect-error plain ESM JavaScript without type declarations
import { startTelcoManager } from '../../examples/telco-manager/src/app.mjs';

const FLOOD = Number(process.env.FLOOD_CONNECTIONS ?? 2000);
const PODS = 20;
const HEALTH_REQUESTS = 200;
const HEADERS_TIMEOUT_MS = 3000;

interface ProbeResult {
  healthy: boolean;
}
interface Running {
  port: number;
  server: http.Server;
  close(): Promise<void>;
  manager: { checkNow(): Promise<void>; on(event: 'healthChecked', listener: (key: string, result: ProbeResult) => void): void };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One request on a new connection (no agent): what a kubelet probe or a fresh client does. */
function request(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { host: '127.0.0.1', port, method, path, agent: false, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

it(`${FLOOD} idle connections: /health keeps answering fast, probes keep succeeding, the idle connections are closed at headersTimeout`, async () => {
  const health = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => health.close(() => resolve())));
  const healthPort = (health.address() as AddressInfo).port;

  const running = (await startTelcoManager({
    env: { HEALTH_CHECK_INTERVAL: '1h', NOTIFICATION_INTERVAL: '1h', HEALTH_CHECK_TIMEOUT: '2s', NOTIFICATION_TIMEOUT: '1s' },
    port: 0,
    host: '127.0.0.1',
    // FLOOD_NODE_DEFAULTS=1: Node's own limits, as before SERVER_LIMITS (the test then fails).
    serverLimits:
      process.env.FLOOD_NODE_DEFAULTS === '1'
        ? { headersTimeout: 60_000, requestTimeout: 300_000, keepAliveTimeout: 5000, maxConnections: Infinity, connectionsCheckingInterval: 30_000 }
        : { headersTimeout: HEADERS_TIMEOUT_MS },
  })) as Running;
  cleanups.push(() => running.close());
  const { port } = running;
  // The server's side: when it accepted each connection and how long it kept it.
  const accepted: Array<{ at: number; heldMs?: number; spoke?: boolean }> = [];
  running.server.on('connection', (socket: net.Socket) => {
    const entry: { at: number; heldMs?: number; spoke?: boolean } = { at: performance.now() };
    accepted.push(entry);
    socket.once('data', () => (entry.spoke = true));
    socket.on('close', () => (entry.heldMs = performance.now() - entry.at));
  });
  for (let i = 0; i < PODS; i++) {
    const answer = await request(port, 'POST', '/register', {
      service_name: 'app',
      pod_name: `app-${i}`,
      providers: [{ protocol: 'http', ip: '127.0.0.1', port: healthPort }],
      health_check_url: `http://127.0.0.1:${healthPort}/health`,
      notification_url: `http://127.0.0.1:${healthPort}/notify`,
      subscriptions: [],
    });
    expect(answer.status, answer.text).toBeLessThan(300);
  }

  // The flood: connections that never send a byte.
  const openedAt = performance.now();
  const sockets: net.Socket[] = [];
  const closedAfter: number[] = [];
  await Promise.all(
    Array.from(
      { length: FLOOD },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port }, () => resolve());
          socket.on('error', () => resolve());
          socket.on('close', () => closedAfter.push(performance.now() - openedAt));
          sockets.push(socket);
        }),
    ),
  );
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
  });
  const connectedMs = performance.now() - openedAt;

  // Probes during the flood: every pod checked, every check healthy.
  const checks: ProbeResult[] = [];
  running.manager.on('healthChecked', (_key, result) => checks.push(result));
  const sweep = running.manager.checkNow();

  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < HEALTH_REQUESTS; i++) {
    const started = performance.now();
    const { status } = await request(port, 'GET', '/health');
    latencies.push(performance.now() - started);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  await sweep;
  const openDuringHealth = FLOOD - closedAfter.length;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);

  // The server closes each idle connection once headersTimeout has passed. (Connections beyond
  // the listen backlog wait in the kernel until it has room; the server never sees them before.)
  const deadline = performance.now() + HEADERS_TIMEOUT_MS + 3000;
  while (accepted.some((a) => a.heldMs === undefined && a.spoke !== true) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const idle = accepted.filter((a) => a.at >= openedAt && a.spoke !== true);
  const held = idle.map((a) => a.heldMs ?? Number.POSITIVE_INFINITY);
  const lastClosed = closedAfter.length > 0 ? Math.max(...closedAfter) : Number.NaN;
  console.log(
    `[reliability] connection flood: ${FLOOD} idle connections open in ${Math.round(connectedMs)} ms (${openDuringHealth} still open after the /health run); ` +
      `${HEALTH_REQUESTS} × GET /health on new connections: ${JSON.stringify(Object.fromEntries(statuses))}, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` +
      `health checks during the flood: ${checks.filter((c) => c.healthy).length}/${checks.length} healthy; ` +
      `the server accepted ${idle.length} of them by then and closed ${held.filter(Number.isFinite).length}, each after ${Math.round(Math.min(...held))}–${Math.round(Math.max(...held))} ms (headersTimeout ${HEADERS_TIMEOUT_MS} ms); ` +
      `the flood's clients saw ${closedAfter.length} closed, the last ${Math.round(lastClosed)} ms after the flood began`,
  );

  expect(statuses.get(200)).toBe(HEALTH_REQUESTS);
  expect(p99).toBeLessThan(100);
  expect(checks).toHaveLength(PODS);
  expect(checks.every((c) => c.healthy)).toBe(true);
  // Before SERVER_LIMITS (Node's defaults) every one stayed open for 60 s or more.
  expect(idle.length).toBeGreaterThan(FLOOD / 2);
  expect(Math.max(...held)).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
}, 30_000);
