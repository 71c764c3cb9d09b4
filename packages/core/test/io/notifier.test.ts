import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  DeliveryError,
  Notifier,
  type DeliveryMeta,
  type DeliveryTarget,
  type NotifierOptions,
} from '../../src/manager/notifier';
import { waitFor } from '../../../../test/support/wait';
import { openHandles, refusedPort, serversClosedAfterEach } from './test-servers';

const { cleanups, server } = serversClosedAfterEach();

function notifier(overrides: Partial<NotifierOptions> = {}) {
  const failed: Array<{ target: DeliveryTarget; meta: DeliveryMeta; error: Error }> = [];
  const delivered: Array<{ target: DeliveryTarget; meta: DeliveryMeta }> = [];
  const n = new Notifier({
    timeoutMs: 1000,
    retries: 3,
    concurrency: 8,
    retryBaseMs: 10,
    onFailed: (target, meta, error) => failed.push({ target, meta, error }),
    onDelivered: (target, meta) => delivered.push({ target, meta }),
    ...overrides,
  });
  cleanups.push(() => n.stop(0));
  return { n, failed, delivered };
}

const meta = (revision: number): DeliveryMeta => ({ group: 'eir', eventType: 'update', revision });
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('Notifier', () => {
  it('POSTs the exact bytes as JSON to every target', async () => {
    const s = await server(() => 200);
    const { n, delivered, failed } = notifier();
    const payload = body({ service_name: 'eir', event_type: 'update', pods: [{ pod_name: 'é-1' }] });
    const targets = ['a', 'b', 'c'].map((p) => ({ subscriberKey: `gw:${p}`, url: `${s.url}/notify/${p}` }));
    n.send(payload, targets, meta(1));
    await n.idle();
    expect(s.requests.map((r) => r.path).sort()).toEqual(['/notify/a', '/notify/b', '/notify/c']);
    for (const r of s.requests) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body.equals(payload)).toBe(true);
    }
    expect(delivered.map((d) => d.target.subscriberKey).sort()).toEqual(['gw:a', 'gw:b', 'gw:c']);
    expect(failed).toEqual([]);
    expect(n.stats()).toMatchObject({ pending: 0, inFlight: 0, delivered: 3, failed: 0, superseded: 0, openCircuits: 0, backlog: [] });
  });

  it('retries 503 twice, then delivers once', async () => {
    const s = await server((_req, index) => (index < 2 ? 503 : 200));
    const { n, delivered, failed } = notifier();
    n.send(body({ v: 1 }), [{ subscriberKey: 'gw:a', url: `${s.url}/n` }], meta(1));
    await n.idle();
    expect(s.requests).toHaveLength(3);
    expect(delivered).toHaveLength(1);
    expect(failed).toEqual([]);
    expect(n.stats()).toMatchObject({ delivered: 1, failed: 0 });
  });

  it('retries 429 and network errors, and reports failure after the last retry', async () => {
    const s = await server(() => 429);
    const port = await refusedPort();
    const { n, failed } = notifier({ retries: 2 });
    n.send(body({ v: 1 }), [
      { subscriberKey: 'gw:busy', url: `${s.url}/n` },
      { subscriberKey: 'gw:down', url: `http://127.0.0.1:${port}/n` },
    ], meta(7));
    await n.idle();
    expect(s.requests).toHaveLength(3);
    expect(failed).toHaveLength(2);
    const busy = failed.find((f) => f.target.subscriberKey === 'gw:busy')!;
    expect(busy.error).toBeInstanceOf(DeliveryError);
    expect(busy.error).toMatchObject({ status: 429, attempts: 3 });
    expect(busy.error.message).toMatch(/^\[core\] notification to .* \(subscriber gw:busy, group eir\) failed after 3 attempt\(s\): HTTP 429/);
    expect(busy.meta).toEqual(meta(7));
    const down = failed.find((f) => f.target.subscriberKey === 'gw:down')!;
    expect(down.error).toMatchObject({ status: undefined, attempts: 3 });
    expect(down.error.message).toMatch(/ECONNREFUSED/);
    expect(n.stats()).toMatchObject({ failed: 2, delivered: 0, pending: 0, inFlight: 0 });
  });

  it('fails a 4xx at once, without retrying', async () => {
    const s = await server(() => 404);
    const { n, failed } = notifier();
    n.send(body({ v: 1 }), [{ subscriberKey: 'gw:a', url: `${s.url}/n` }], meta(1));
    await n.idle();
    expect(s.requests).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatchObject({ status: 404, attempts: 1 });
  });

  it('times out an attempt that gets no answer', async () => {
    const s = await server(() => 'hang');
    const { n, failed } = notifier({ timeoutMs: 100, retries: 1 });
    n.send(body({ v: 1 }), [{ subscriberKey: 'gw:a', url: `${s.url}/n` }], meta(1));
    await n.idle();
    expect(s.requests).toHaveLength(2);
    expect(failed[0]!.error.message).toMatch(/timed out after 100 ms/);
  });

  it('fails an unusable URL without a request', async () => {
    const { n, failed } = notifier();
    n.send(body({}), [{ subscriberKey: 'gw:a', url: 'ftp://x/y' }, { subscriberKey: 'gw:b', url: '::' }], meta(1));
    await n.idle();
    expect(failed.map((f) => f.error.message)).toEqual([
      '[core] notification URL "ftp://x/y" must start with http:// or https://',
      '[core] notification URL "::" is not a valid URL',
    ]);
  });

  it('supersedes: 20 rapid sends to a slow subscriber cost at most 2 POSTs and end at the newest', async () => {
    const s = await server(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 200;
    });
    const { n, delivered } = notifier();
    const target = { subscriberKey: 'gw:a', url: `${s.url}/n` };
    for (let revision = 1; revision <= 20; revision++) n.send(body({ revision }), [target], meta(revision));
    expect(n.stats()).toMatchObject({ inFlight: 1, pending: 1 });
    await n.idle();
    expect(s.requests.length).toBeLessThanOrEqual(2);
    expect(JSON.parse(s.requests.at(-1)!.body.toString())).toEqual({ revision: 20 });
    expect(delivered.at(-1)!.meta.revision).toBe(20);
    expect(n.stats()).toMatchObject({ pending: 0, inFlight: 0, delivered: s.requests.length, failed: 0, superseded: 20 - s.requests.length });
  });

  it('supersedes per subscriber: every one of several slow subscribers ends at the newest payload', async () => {
    let open = 0;
    let maxOpen = 0;
    const s = await server(async () => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((resolve) => setTimeout(resolve, 50));
      open -= 1;
      return 200;
    });
    const { n } = notifier({ concurrency: 3 });
    const targets = Array.from({ length: 6 }, (_, i) => ({ subscriberKey: `gw:p${i}`, url: `${s.url}/p${i}` }));
    for (let revision = 1; revision <= 10; revision++) n.send(body({ revision }), targets, meta(revision));
    await waitFor(() => s.requests.length >= 3, 'three deliveries to reach the subscriber');
    for (let revision = 11; revision <= 20; revision++) n.send(body({ revision }), targets, meta(revision));
    await n.idle();
    expect(maxOpen).toBeLessThanOrEqual(3);
    for (const target of targets) {
      const received = s.requests.filter((r) => r.path === new URL(target.url).pathname);
      expect(received.length).toBeLessThanOrEqual(4);
      expect(JSON.parse(received.at(-1)!.body.toString())).toEqual({ revision: 20 });
    }
    expect(n.stats()).toMatchObject({ pending: 0, inFlight: 0, failed: 0 });
    expect(n.stats().delivered + n.stats().superseded).toBe(120);
  });

  it('supersedes a delivery waiting for its retry; pairs are per (subscriber, group)', async () => {
    let failFirst = true;
    const s = await server(() => {
      if (failFirst) {
        failFirst = false;
        return 503;
      }
      return 200;
    });
    const { n, delivered } = notifier({ retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const target = { subscriberKey: 'gw:a', url: `${s.url}/n` };
    n.send(body({ revision: 1 }), [target], meta(1));
    await waitFor(() => s.requests.length === 1 && n.stats().inFlight === 0, 'the first delivery to end');
    expect(n.stats()).toMatchObject({ pending: 1, inFlight: 0 });
    n.send(body({ revision: 2 }), [target], meta(2));
    n.send(body({ other: true }), [target], { group: 'hss', eventType: 'register', revision: 1 });
    await n.idle();
    expect(s.requests.map((r) => r.body.toString()).sort()).toEqual(['{"other":true}', '{"revision":1}', '{"revision":2}']);
    expect(delivered.map((d) => `${d.meta.group}@${d.meta.revision}`).sort()).toEqual(['eir@2', 'hss@1']);
    expect(n.stats()).toMatchObject({ superseded: 1, delivered: 2, failed: 0 });
  });

  it('sends the newer payload right away when the in-flight older one fails transiently', async () => {
    const s = await server(async (req) => {
      if (req.body.toString() === '{"revision":1}') {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return 503;
      }
      return 200;
    });
    const { n, delivered, failed } = notifier({ retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const target = { subscriberKey: 'gw:a', url: `${s.url}/n` };
    n.send(body({ revision: 1 }), [target], meta(1));
    await waitFor(() => s.requests.length === 1, 'the first delivery to reach the subscriber');
    n.send(body({ revision: 2 }), [target], meta(2));
    await n.idle();
    expect(s.requests.map((r) => r.body.toString())).toEqual(['{"revision":1}', '{"revision":2}']);
    expect(delivered.map((d) => d.meta.revision)).toEqual([2]);
    expect(failed).toEqual([]);
    expect(n.stats()).toMatchObject({ superseded: 1, delivered: 1, failed: 0 });
  });

  it('keeps working when a callback throws', async () => {
    const s = await server((req) => (req.path === '/bad' ? 400 : 200));
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (_o: object, msg?: string) => logged.push(msg ?? '') };
    const n = new Notifier({
      timeoutMs: 1000,
      retries: 0,
      concurrency: 2,
      logger,
      onFailed: () => {
        throw new Error('listener bug');
      },
      onDelivered: () => {
        throw new Error('listener bug');
      },
    });
    cleanups.push(() => n.stop(0));
    n.send(body({}), [{ subscriberKey: 'gw:a', url: `${s.url}/ok` }, { subscriberKey: 'gw:b', url: `${s.url}/bad` }], meta(1));
    await n.idle();
    n.send(body({}), [{ subscriberKey: 'gw:a', url: `${s.url}/ok` }], meta(2));
    await n.idle();
    expect(n.stats()).toMatchObject({ delivered: 2, failed: 1, pending: 0, inFlight: 0 });
    expect(logged).toEqual(Array(3).fill('[core] notifier callback threw'));
  });

  it('shares one body among all targets instead of copying it', async () => {
    const s = await server(() => 'hang');
    const { n } = notifier({ concurrency: 4, timeoutMs: 60_000 });
    const payload = Buffer.alloc(8 * 1024 * 1024, 0x20);
    const targets = Array.from({ length: 200 }, (_, i) => ({ subscriberKey: `gw:p${i}`, url: `${s.url}/p${i}` }));
    const before = process.memoryUsage().arrayBuffers;
    n.send(payload, targets, meta(1));
    const growth = process.memoryUsage().arrayBuffers - before;
    expect(n.stats().pending + n.stats().inFlight).toBe(200);
    expect(growth).toBeLessThan(payload.length);
  });

  it('stop() drops queued work, aborts in-flight POSTs after the deadline, and leaves no sockets or timers', async () => {
    const before = openHandles();
    const s = await server((req) => (req.path === '/ok' ? 200 : 'hang'));
    const { n, failed } = notifier({ concurrency: 2, timeoutMs: 30_000 });
    n.send(body({}), [{ subscriberKey: 'gw:ok', url: `${s.url}/ok` }], meta(1));
    await n.idle();
    const targets = Array.from({ length: 5 }, (_, i) => ({ subscriberKey: `gw:h${i}`, url: `${s.url}/h${i}` }));
    n.send(body({}), targets, meta(2));
    await waitFor(() => s.requests.length === 3, 'three deliveries to reach the subscribers');
    const idle = n.idle();
    await n.stop(50);
    await idle;
    expect(failed).toEqual([]);
    expect(n.stats()).toMatchObject({ pending: 0, inFlight: 0, delivered: 1 });
    n.send(body({}), targets, meta(3));
    expect(n.stats()).toMatchObject({ pending: 0, inFlight: 0 });
    await waitFor(() => {
      const now = openHandles();
      return now.sockets <= before.sockets && now.timers <= before.timers;
    }, 'the notifier\'s sockets and timers to be released');
  });
});

describe('Notifier fairness and circuit breaker (issue 12 §1)', () => {
  it('keeps the retry budget when newer payloads replace the one being retried: a pair that keeps failing reaches failed', async () => {
    const s = await server(() => 503);
    const { n, failed } = notifier({ retries: 2, retryBaseMs: 30, retryMaxMs: 30, circuitThreshold: 100 });
    const target = { subscriberKey: 'gw:a', url: `${s.url}/n` };
    n.send(body({ revision: 1 }), [target], meta(1));
    // A new payload after every attempt (a reconcile each time): before, each one restarted the count.
    for (let revision = 2; revision <= 6 && failed.length === 0; revision++) {
      await waitFor(() => s.requests.length >= revision - 1, 's.requests.length >= revision - 1');
      n.send(body({ revision }), [target], meta(revision));
    }
    await n.idle();
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0]!.error).toMatchObject({ status: 503, attempts: 3 });
    expect(s.requests.length).toBeLessThanOrEqual(6);
  });

  it('opens the circuit after circuitThreshold failures: one probe at a time, then the newest payload on recovery', async () => {
    let up = false;
    const s = await server(() => (up ? 200 : 503));
    const unreachable: string[] = [];
    const recovered: Array<{ subscriberKey: string; unreachableForMs: number }> = [];
    const { n, delivered } = notifier({
      retries: 20,
      retryBaseMs: 5,
      retryMaxMs: 5,
      circuitThreshold: 3,
      circuitBaseMs: 150,
      circuitMaxMs: 150,
      onUnreachable: (info) => unreachable.push(info.subscriberKey),
      onRecovered: (info) => recovered.push(info),
    });
    const target = { subscriberKey: 'gw:a', url: `${s.url}/n` };
    // Three groups of one subscriber: at most perSubscriber (2) attempts at once, one once the circuit is open.
    for (const group of ['g1', 'g2', 'g3']) n.send(body({ group, revision: 1 }), [target], { group, eventType: 'update', revision: 1 });
    await waitFor(() => unreachable.length === 1, 'unreachable.length === 1');
    expect(n.stats()).toMatchObject({ openCircuits: 1, failingSubscribers: 1 });
    expect(n.stats().backlog[0]).toMatchObject({ subscriberKey: 'gw:a', open: true, pending: 3 });
    const atOpen = s.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Open for 400 ms with probes every 75–150 ms: a handful of probes, not one per 5 ms retry.
    expect(s.requests.length - atOpen).toBeLessThanOrEqual(6);
    for (const group of ['g1', 'g2', 'g3']) n.send(body({ group, revision: 2 }), [target], { group, eventType: 'update', revision: 2 });
    up = true;
    await n.idle();
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.subscriberKey).toBe('gw:a');
    expect(delivered.map((d) => `${d.meta.group}@${d.meta.revision}`).sort()).toEqual(['g1@2', 'g2@2', 'g3@2']);
    expect(n.stats()).toMatchObject({ openCircuits: 0, failingSubscribers: 0, pending: 0, backlog: [] });
  });

  it('lets a subscriber run at most perSubscriber attempts at once', async () => {
    let open = 0;
    let maxOpen = 0;
    const s = await server(async () => {
      maxOpen = Math.max(maxOpen, ++open);
      await new Promise((resolve) => setTimeout(resolve, 30));
      open -= 1;
      return 200;
    });
    const { n, delivered } = notifier({ concurrency: 16, perSubscriber: 2 });
    const target = { subscriberKey: 'gw:a', url: `${s.url}/n` };
    for (let g = 0; g < 10; g++) n.send(body({ g }), [target], { group: `g${g}`, eventType: 'update', revision: 1 });
    await n.idle();
    expect(delivered).toHaveLength(10);
    expect(maxOpen).toBe(2);
  });

  it('keeps three quarters of the pool for healthy subscribers while dead ones time out', async () => {
    const dead = await server(() => 'hang');
    const ok = await server(() => 200);
    const { n, delivered } = notifier({ concurrency: 8, timeoutMs: 1500, retries: 5, retryBaseMs: 10, retryMaxMs: 10 });
    const deadTargets = Array.from({ length: 40 }, (_, i) => ({ subscriberKey: `dead:${i}`, url: `${dead.url}/${i}` }));
    n.send(body({ revision: 1 }), deadTargets, meta(1));
    // Every dead subscriber tried once: they are suspects now.
    await waitFor(() => n.stats().failingSubscribers === 40, 'n.stats().failingSubscribers === 40', 20_000);
    const latencies: number[] = [];
    for (let revision = 2; revision <= 6; revision++) {
      const started = performance.now();
      n.send(body({ revision }), [...deadTargets, { subscriberKey: 'ok:1', url: `${ok.url}/ok` }], meta(revision));
      await waitFor(() => delivered.some((d) => d.meta.revision === revision), 'delivered.some((d) => d.meta.revision === revision)', 5000);
      latencies.push(performance.now() - started);
    }
    // Without the suspects' share every change waited for the dead ones' 1.5 s timeouts.
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect(n.stats().inFlight).toBeLessThanOrEqual(2);
  }, 30_000);

  it('forget({ abort: true }) drops queued, backing-off and in-flight deliveries: nothing more reaches the subscriber', async () => {
    const s = await server((req) => (req.path.startsWith('/slow') ? 'hang' : 503));
    const { n, failed } = notifier({ concurrency: 4, timeoutMs: 5000, retryBaseMs: 60_000, retryMaxMs: 60_000 });
    const slow = { subscriberKey: 'gw:slow', url: `${s.url}/slow` };
    const flaky = { subscriberKey: 'gw:flaky', url: `${s.url}/flaky` };
    n.send(body({ revision: 1 }), [slow, flaky], meta(1));
    await waitFor(() => s.requests.length === 2 && n.stats().inFlight === 1, 's.requests.length === 2 && n.stats().inFlight === 1');
    n.send(body({ revision: 2 }), [slow], meta(2));
    n.send(body({ other: 1 }), [slow], { group: 'hss', eventType: 'update', revision: 1 });
    // flaky backing off; slow: eir in flight with a next behind it, hss queued or in flight.
    expect(n.stats().pending + n.stats().inFlight).toBe(4);
    n.forget(['gw:slow', 'gw:flaky'], { abort: true });
    expect(n.stats()).toMatchObject({ pending: 0, inFlight: 0 });
    await n.idle();
    const seen = s.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.requests.length).toBe(seen);
    expect(failed).toEqual([]);
  });

  it('reads at most responseBodyLimit bytes of an answer, then closes the connection', async () => {
    const { server: endless, sent, closedAfterMs } = await endlessBodyServer();
    cleanups.push(() => new Promise<void>((resolve) => endless.close(() => resolve())));
    const { n, delivered } = notifier({ timeoutMs: 3000, responseBodyLimit: 4096 });
    n.send(body({}), [{ subscriberKey: 'gw:a', url: `http://127.0.0.1:${(endless.address() as AddressInfo).port}/n` }], meta(1));
    await n.idle();
    expect(delivered).toHaveLength(1);
    await waitFor(() => closedAfterMs() !== undefined, 'closedAfterMs() !== undefined', 2000);
    // Before the limit, the body was read until the attempt's 3 s timer fired.
    expect(closedAfterMs()!).toBeLessThan(1000);
    expect(sent()).toBeLessThan(8 * 1024 * 1024);
  });
});

/** A server answering 200 with an endless body (written as fast as the client reads). */
async function endlessBodyServer(): Promise<{ server: http.Server; sent(): number; closedAfterMs(): number | undefined }> {
  let sent = 0;
  let openedAt = 0;
  let closedAfter: number | undefined;
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const server = http.createServer((req, res) => {
    req.resume();
    openedAt = performance.now();
    res.writeHead(200, { 'content-type': 'text/plain' });
    const pump = () => {
      while (!res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) break;
      }
    };
    res.on('drain', pump);
    res.on('close', () => {
      closedAfter = performance.now() - openedAt;
    });
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, sent: () => sent, closedAfterMs: () => closedAfter };
}
