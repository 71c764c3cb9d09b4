import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { SseStream } from '../../src/transport/watch';
import { SseReader } from './sse-reader';
import { PULL_TEST_CONFIG, pod } from './support';

describe('a watcher that never reads', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('costs a bounded buffer on the server while the others receive every change', async () => {
    const manager = new Manager({ ...PULL_TEST_CONFIG, healthCheckInterval: 3_600_000 }, new MemoryStore());
    await manager.start();
    closers.push(() => manager.stop({ timeoutMs: 500 }));
    const responses: http.ServerResponse[] = [];
    const listener = createNodeListener(manager);
    const server = http.createServer((req, res) => {
      responses.push(res);
      listener(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
    const { port } = server.address() as AddressInfo;

    // The stalled client: a raw socket with a tiny receive window that is never read.
    const stalled = net.connect({ port, host: '127.0.0.1' });
    closers.push(() => void stalled.destroy());
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.pause();
    stalled.write('GET /watch?service=big HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    const healthy = new SseReader(`http://127.0.0.1:${port}/watch?service=big`);
    closers.push(() => healthy.close());
    await healthy.waitFor(1);
    while (responses.length < 2) await new Promise((r) => setTimeout(r, 5));
    const stalledRes = responses.find((res) => res.socket?.remotePort === stalled.localPort)!;

    // 400 changes of one group whose payload grows to ~60 KB: ~12 MB if anything buffered them all.
    let sent = 0;
    for (let i = 0; i < 400; i++) {
      const p = pod('big', `big-${i}`, 9000 + (i % 1000));
      p.providers.push({ protocol: 'tcp', ip: `10.1.${i >> 8}.${i & 255}`, port: 3868 });
      await manager.register(p);
      sent += Buffer.byteLength(JSON.stringify({ pods: Array(i + 1).fill({ pod_name: 'big-000', status: 'unknown', providers: p.providers }) }));
    }
    expect(sent).toBeGreaterThan(10_000_000);
    const frames = await healthy.waitUntil((all) => all.at(-1)?.data.pods.length === 400, 20_000);
    expect(frames.at(-1)!.data.pods).toHaveLength(400);
    const ids = frames.map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    // What the server holds for the stalled stream: Node's response/socket buffers stay within
    // about one frame past their high-water marks; the coalescing stream keeps one state per group.
    const held = stalledRes.writableLength + (stalledRes.socket?.writableLength ?? 0);
    const written = stalledRes.socket?.bytesWritten ?? 0;
    console.log(
      `[watch] stalled watcher: ${held} bytes buffered by the server, ${written} bytes taken by the kernel, after ${(sent / 1e6).toFixed(1)} MB of changes`,
    );
    expect(written).toBeLessThan(sent / 2);
    expect(held).toBeLessThan(256 * 1024);
  }, 60_000);

  it('SseStream keeps at most one pending state per group and buffers at most about one frame past 16 KiB', () => {
    const stream = new SseStream(60_000, 2_000);
    stream.resume();
    stream.pause();
    const data = Buffer.alloc(10_000, 'x');
    for (let i = 1; i <= 1_000; i++) {
      stream.offer({ group: `g${i % 3}`, revision: i, eventType: 'update', data });
    }
    // nobody reads: the stream holds what it pushed before pausing plus at most three states
    expect(stream.pendingGroups).toBeLessThanOrEqual(3);
    expect(stream.readableLength).toBeLessThan(16 * 1024 + 10_100);
    stream.destroy();
  });
});
