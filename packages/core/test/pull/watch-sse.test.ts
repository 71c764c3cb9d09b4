import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { SseReader } from './sse-reader';
import { pod, pullTestBed, registerSettled } from './support';

describe('GET /watch (Server-Sent Events)', () => {
  const bed = pullTestBed();

  it('sends the current state of each watched group, then every change in order, ids = revisions', async () => {
    const { manager, base } = await bed.start();
    await registerSettled(manager, pod('eir', 'eir-1'));
    const reader = new SseReader(`${base}/watch?service=eir&service=hss`);
    await reader.ready;
    expect(reader.status).toBe(200);
    expect(reader.headers['content-type']).toMatch(/^text\/event-stream/);
    const initial = await reader.waitFor(2);
    // Groups in revision order: hss never changed (the start revision), eir changed since.
    expect(initial.map((f) => f.data.service_name)).toEqual(['hss', 'eir']);
    expect(initial.every((f) => f.data.event_type === 'reconcile')).toBe(true);
    expect(initial[1]!.data.pods.map((p: { pod_name: string }) => p.pod_name)).toEqual(['eir-1']);
    expect(Number(initial[1]!.id)).toBe(manager.revisionOf('eir'));
    expect(initial[1]!.data.revision).toBe(manager.revisionOf('eir'));

    await registerSettled(manager, pod('hss', 'hss-1'));
    await registerSettled(manager, pod('eir', 'eir-2'));
    await manager.unregister('eir', 'eir-1');
    await registerSettled(manager, pod('other', 'x-1')); // not watched
    const frames = await reader.waitUntil((all) => all.at(-1)?.data.event_type === 'unregister');
    const changes = frames.slice(2).map((f) => `${f.data.service_name}:${f.data.event_type}`);
    // Each pod's register and its first health result (unknown → unhealthy), then the unregister;
    // a state not yet sent may be replaced by a newer one (coalescing), never reordered.
    expect(changes.filter((c) => c.endsWith(':register') || c.endsWith(':unregister'))).toEqual(['hss:register', 'eir:register', 'eir:unregister']);
    expect(changes.length).toBeLessThanOrEqual(5);
    const ids = frames.map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids.slice(2)).size).toBe(ids.length - 2);
    const last = frames.filter((f) => f.data.service_name === 'eir').at(-1)!;
    expect(last.data.event_type).toBe('unregister');
    expect(last.data.pods.map((p: { pod_name: string }) => p.pod_name)).toEqual(['eir-2']);
    expect(frames.some((f) => f.data.service_name === 'other')).toBe(false);
    reader.close();
  });

  it('resumes after a cut connection from Last-Event-ID: every group changed meanwhile arrives, in its latest state', async () => {
    const { manager, base } = await bed.start();
    await registerSettled(manager, pod('a', 'a-1'));
    await registerSettled(manager, pod('b', 'b-1'));
    await registerSettled(manager, pod('c', 'c-1'));
    const first = new SseReader(`${base}/watch?service=a&service=b&service=c`);
    await first.waitFor(3);
    await registerSettled(manager, pod('a', 'a-2'));
    await first.waitFor(5); // a:register, a:update
    first.close();
    const lastId = first.lastId!;

    // While disconnected: b changes twice, c is removed, a is left alone.
    await registerSettled(manager, pod('b', 'b-2'));
    await registerSettled(manager, pod('b', 'b-3'));
    await manager.unregister('c', 'c-1');

    const second = new SseReader(`${base}/watch?service=a&service=b&service=c`, { 'last-event-id': lastId });
    await second.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const byGroup = new Map(second.frames.map((f) => [f.data.service_name, f]));
    expect(byGroup.get('b')!.data.pods.map((p: { pod_name: string }) => p.pod_name).sort()).toEqual(['b-1', 'b-2', 'b-3']);
    expect(byGroup.get('c')!.data.pods).toEqual([]);
    // a did not change after the last id but is the group of that id: at most a repeat of its state, never a stale one.
    if (byGroup.has('a')) expect(Number(byGroup.get('a')!.id)).toBe(Number(lastId));
    expect(Number(byGroup.get('b')!.id)).toBe(manager.revisionOf('b'));

    // And it goes on with live changes.
    await manager.unregister('b', 'b-1');
    const frames = await second.waitFor(second.frames.length + 1);
    expect(frames.at(-1)!.data).toMatchObject({ service_name: 'b', event_type: 'unregister' });
    second.close();
  });

  it('a resume id from before a restart gets every group (the gap cannot be filled from memory)', async () => {
    const { manager, base } = await bed.start();
    await registerSettled(manager, pod('a', 'a-1'));
    const reader = new SseReader(`${base}/watch?service=a&service=z`, { 'last-event-id': '1' });
    const frames = await reader.waitFor(2);
    expect(frames.map((f) => f.data.service_name).sort()).toEqual(['a', 'z']);
    reader.close();
  });

  it('answers 400 naming the parameter, 405 to other methods', async () => {
    const { base } = await bed.start();
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        http
          .get(base + path, { agent: false, headers }, (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
          })
          .on('error', reject);
      });
    const none = await get('/watch');
    expect(none.status).toBe(400);
    expect(none.body.errors[0].path).toBe('service');
    const bad = await get('/watch?service=a:b');
    expect(bad.body.errors[0].path).toBe('service[0]');
    const id = await get('/watch?service=a', { 'last-event-id': 'yesterday' });
    expect(id.status).toBe(400);
    expect(id.body.errors[0].path).toBe('Last-Event-ID');
  });

  it('sends keep-alive comments on an idle stream and ends streams when the manager stops', async () => {
    const { manager, base } = await bed.start({}, { watch: { heartbeatMs: 50 } });
    const reader = new SseReader(`${base}/watch?service=a`);
    await reader.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reader.comments).toBeGreaterThanOrEqual(3);
    expect(manager.stats().watchers.active).toBe(1);
    await manager.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reader.ended).toBe(true);
  });

  it('removes the watcher when the client goes away', async () => {
    const { manager, base } = await bed.start();
    const reader = new SseReader(`${base}/watch?service=a`);
    await reader.waitFor(1);
    expect(manager.stats().watchers.active).toBe(1);
    reader.close();
    const deadline = Date.now() + 2_000;
    while (manager.stats().watchers.active !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(manager.stats().watchers.active).toBe(0);
  });
});
