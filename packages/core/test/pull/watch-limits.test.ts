import { describe, expect, it } from 'vitest';
import { send } from '../transport/support/http-client';
import { SseReader } from './sse-reader';
import { pullTestBed } from './support';

const READER = { token: 'reader-token-0123456789', services: ['hss'], read: true };
const WRITER = { token: 'writer-token-0123456789', services: ['eir'] };

describe('watch limits and scopes', () => {
  const bed = pullTestBed();

  it('answers 503 with Retry-After beyond maxWatchers (streams and blocking queries count alike)', async () => {
    const { manager, base } = await bed.start({ maxWatchers: 2 });
    const a = new SseReader(`${base}/watch?service=a`);
    await a.waitFor(1);
    const blocking = send(base, 'GET', `/services/a?index=${manager.revisionOf('a')}&wait=2s`);
    const deadline = Date.now() + 2_000;
    while (manager.stats().watchers.active < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const refused = await send(base, 'GET', '/watch?service=b');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json.error).toMatch(/too many watchers \(2\).*maxWatchers/);
    a.close();
    await blocking;
  });

  it('needs a token with read scope (401 without, 403 for a write-only token) and limits streams per token with 429', async () => {
    const { base } = await bed.start({}, { tokens: [READER, WRITER], watch: { maxStreamsPerToken: 2 } });
    expect((await send(base, 'GET', '/watch?service=a')).status).toBe(401);
    const writeOnly = await send(base, 'GET', '/watch?service=a', { headers: { authorization: `Bearer ${WRITER.token}` } });
    expect(writeOnly.status).toBe(403);
    const auth = { authorization: `Bearer ${READER.token}` };
    const one = new SseReader(`${base}/watch?service=a`, auth);
    const two = new SseReader(`${base}/watch?service=a`, auth);
    await Promise.all([one.waitFor(1), two.waitFor(1)]);
    const third = await send(base, 'GET', '/watch?service=a', { headers: auth });
    expect(third.status).toBe(429);
    expect(third.json.error).toMatch(/this token holds 2 watch streams/);
    one.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = new SseReader(`${base}/watch?service=a`, auth);
    await again.waitFor(1);
    expect(again.status).toBe(200);
    two.close();
    again.close();
  });
});
