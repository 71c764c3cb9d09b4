import { afterEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker, type HealthCheckerOptions, type ProbeResult } from '../../src/manager/health-checker';
import { waitFor } from '../../../../test/support/wait';
import { openHandles, refusedPort, serversClosedAfterEach } from './test-servers';

const { cleanups, server } = serversClosedAfterEach();
// Registered last, so it runs first: real timers are back before the cleanups run.
afterEach(() => {
  vi.useRealTimers();
});

function checker(overrides: Partial<HealthCheckerOptions> = {}) {
  const results: Array<{ key: string; result: ProbeResult }> = [];
  const hc = new HealthChecker({
    intervalMs: 60_000,
    timeoutMs: 1000,
    retries: 0,
    concurrency: 16,
    onResult: (key, result) => results.push({ key, result }),
    ...overrides,
  });
  cleanups.push(() => hc.stop(0));
  return { hc, results };
}

describe('HealthChecker', () => {
  it('checks a pod right away when tracked with immediate, without start()', async () => {
    const s = await server(() => 200);
    const { hc, results } = checker();
    hc.track('svc:a', `${s.url}/a`, { immediate: true });
    hc.track('svc:b', `${s.url}/b`);
    await waitFor(() => results.length === 1, 'the immediate check of svc:a');
    expect(results[0]).toMatchObject({ key: 'svc:a', result: { healthy: true, attempts: 1 } });
    expect(s.requests.map((r) => r.path)).toEqual(['/a']);
    expect(hc.stats()).toEqual({ tracked: 2, inFlight: 0, queued: 0 });
  });

  it('sweep() checks every tracked pod once and resolves when all are done', async () => {
    const s = await server((req) => (req.path === '/sick' ? 500 : 200));
    const port = await refusedPort();
    const { hc, results } = checker({ retries: 1 });
    hc.track('svc:ok', `${s.url}/ok`);
    hc.track('svc:sick', `${s.url}/sick`);
    hc.track('svc:tcp', `tcp://127.0.0.1:${port}`);
    await hc.sweep();
    const byKey = Object.fromEntries(results.map((r) => [r.key, r.result]));
    expect(results).toHaveLength(3);
    expect(byKey['svc:ok']).toMatchObject({ healthy: true, attempts: 1 });
    expect(byKey['svc:sick']).toMatchObject({ healthy: false, attempts: 2, error: 'HTTP 500' });
    expect(byKey['svc:tcp']).toMatchObject({ healthy: false, attempts: 2 });
  });

  it('sweep() still resolves when pods are untracked or the checker stops mid-sweep', async () => {
    const s = await server(() => 'hang');
    const { hc, results } = checker({ concurrency: 1, timeoutMs: 30_000 });
    for (const pod of ['a', 'b', 'c']) hc.track(`svc:${pod}`, `${s.url}/${pod}`);
    const sweep = hc.sweep();
    await waitFor(() => s.requests.length === 1, 'the first request of the sweep');
    expect(hc.stats()).toEqual({ tracked: 3, inFlight: 1, queued: 2 });
    hc.untrack('svc:b');
    await hc.stop(10);
    await sweep;
    expect(results).toEqual([]);
    expect(s.requests).toHaveLength(1);
  });

  it('keeps at most `concurrency` checks in flight', async () => {
    let open = 0;
    let maxOpen = 0;
    const s = await server(async () => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((resolve) => setTimeout(resolve, 30));
      open -= 1;
      return 200;
    });
    const { hc, results } = checker({ concurrency: 3 });
    for (let i = 0; i < 12; i++) hc.track(`svc:p${i}`, `${s.url}/p${i}`);
    await hc.sweep();
    expect(results).toHaveLength(12);
    expect(maxOpen).toBe(3);
  });

  it('never runs two checks of the same pod at once', async () => {
    let open = 0;
    let maxOpen = 0;
    const s = await server(async () => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((resolve) => setTimeout(resolve, 60));
      open -= 1;
      return 200;
    });
    const { hc, results } = checker();
    hc.track('svc:a', `${s.url}/a`, { immediate: true });
    hc.track('svc:a', `${s.url}/a`, { immediate: true });
    const sweep = hc.sweep();
    hc.track('svc:a', `${s.url}/a`, { immediate: true });
    await sweep;
    await waitFor(() => results.length === 2, 'the second check of svc:a');
    await hc.sweep();
    expect(maxOpen).toBe(1);
    expect(s.requests.length).toBe(results.length);
  });

  it('drops the result of a pod untracked while its check runs', async () => {
    const s = await server(() => 'hang');
    const { hc, results } = checker({ timeoutMs: 300 });
    hc.track('svc:gone', `${s.url}/gone`, { immediate: true });
    await waitFor(() => s.requests.length === 1, 'the check of svc:gone to reach the server');
    hc.untrack('svc:gone');
    await waitFor(() => hc.stats().inFlight === 0, 'the untracked check to end');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(results).toEqual([]);
    expect(hc.stats()).toEqual({ tracked: 0, inFlight: 0, queued: 0 });
  });

  it('drops the result for an old URL when the pod moves mid-check', async () => {
    const s = await server((req) => (req.path === '/old' ? 'hang' : 200));
    const { hc, results } = checker({ timeoutMs: 200 });
    hc.track('svc:a', `${s.url}/old`, { immediate: true });
    await waitFor(() => s.requests.length === 1, 'the check of /old to reach the server');
    hc.track('svc:a', `${s.url}/new`, { immediate: true });
    await waitFor(() => results.length === 1, 'the result for /new');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(results).toHaveLength(1);
    expect(results[0]!.result.healthy).toBe(true);
    expect(s.requests.map((r) => r.path)).toEqual(['/old', '/new']);
  });

  it('logs a throwing onResult and keeps checking', async () => {
    const s = await server(() => 200);
    const logged: string[] = [];
    let calls = 0;
    const hc = new HealthChecker({
      intervalMs: 60_000,
      timeoutMs: 1000,
      retries: 0,
      concurrency: 4,
      logger: { debug() {}, info() {}, warn() {}, error: (_o: object, msg?: string) => logged.push(msg ?? '') },
      onResult: () => {
        calls += 1;
        throw new Error('listener bug');
      },
    });
    cleanups.push(() => hc.stop(0));
    hc.track('svc:a', `${s.url}/a`);
    hc.track('svc:b', `${s.url}/b`);
    await hc.sweep();
    await hc.sweep();
    expect(calls).toBe(4);
    expect(logged).toEqual(Array(4).fill('[core] health check onResult callback threw'));
  });

  it('rejects unusable settings with a message naming the field', () => {
    const base = { intervalMs: 1000, timeoutMs: 100, retries: 0, concurrency: 1, onResult() {} };
    expect(() => new HealthChecker({ ...base, concurrency: 0 })).toThrow(/concurrency must be a positive number/);
    expect(() => new HealthChecker({ ...base, intervalMs: Number.NaN })).toThrow(/intervalMs/);
    expect(() => new HealthChecker({ ...base, retries: -1 })).toThrow(/retries must be 0 or more/);
  });

  it('spreads the checks of N pods across the interval, each once per interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const seenAt = new Map<string, number[]>();
    const s = await server((req) => {
      seenAt.set(req.path, [...(seenAt.get(req.path) ?? []), performance.now()]);
      return 200;
    });
    const { hc } = checker({ intervalMs: 1000 });
    for (let i = 0; i < 10; i++) hc.track(`svc:p${i}`, `${s.url}/p${i}`);
    const origin = performance.now();
    hc.start();
    await checkerIdle(hc, 'the checks due at 0 ms');
    for (let step = 1; step < 20; step++) {
      await vi.advanceTimersByTimeAsync(100);
      await checkerIdle(hc, `the checks due at ${step * 100} ms`);
    }
    expect(s.requests).toHaveLength(20);
    const phases = [...seenAt.values()].map((times) => times.map((t) => Math.round(t - origin)));
    expect(phases).toHaveLength(10);
    const firstPhases = phases.map((times) => times[0]!).sort((a, b) => a - b);
    expect(firstPhases).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
    for (const times of phases) {
      expect(times).toHaveLength(2);
      expect(times[1]! - times[0]!).toBe(1000);
    }
  });

  it('checks each remaining pod once per interval after untracks and re-tracks', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const s = await server(() => 200);
    const { hc } = checker({ intervalMs: 1000 });
    for (let i = 0; i < 25; i++) hc.track(`svc:p${i}`, `${s.url}/p${i}`);
    for (const i of [0, 7, 11, 12, 24]) hc.untrack(`svc:p${i}`);
    hc.track('svc:p7', `${s.url}/p7`);
    hc.track('svc:new', `${s.url}/new`);
    hc.start();
    for (let step = 0; step < 9; step++) {
      await checkerIdle(hc, `the checks due at ${step * 100} ms`);
      await vi.advanceTimersByTimeAsync(100);
    }
    // Every slot of one interval (0 to 900 ms) has come: count what the server got once nothing runs.
    await checkerIdle(hc, 'the checks due at 900 ms');
    const counts = new Map<string, number>();
    for (const { path } of s.requests) counts.set(path, (counts.get(path) ?? 0) + 1);
    expect(hc.stats().tracked).toBe(22);
    const expected = [...Array(25).keys()].filter((i) => ![0, 11, 12, 24].includes(i)).map((i) => `/p${i}`);
    expect([...counts.keys()].sort()).toEqual([...expected, '/new'].sort());
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  });

  it('skips the periodic check that would come right after an immediate one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const s = await server(() => 200);
    const { hc } = checker({ intervalMs: 1000 });
    hc.start();
    await vi.advanceTimersByTimeAsync(700);
    // The pod goes to slot 0, due at 1000 ms: 300 ms after this immediate check.
    hc.track('svc:a', `${s.url}/a`, { immediate: true });
    await checkerIdle(hc, 'the immediate check at 700 ms');
    expect(s.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);
    await checkerIdle(hc, 'the turn of slot 0 at 1000 ms');
    expect(s.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    await checkerIdle(hc, 'the turn of slot 0 at 2000 ms');
    expect(s.requests).toHaveLength(2);
  });

  it('stop() cancels running checks after the deadline and leaves no sockets or timers', async () => {
    const before = openHandles();
    const s = await server((req) => (req.path.startsWith('/hang') ? 'hang' : 200));
    const { hc, results } = checker({ intervalMs: 500, timeoutMs: 30_000, retries: 3 });
    for (let i = 0; i < 5; i++) hc.track(`svc:h${i}`, `${s.url}/hang${i}`, { immediate: true });
    hc.track('svc:ok', `${s.url}/ok`, { immediate: true });
    hc.start();
    await waitFor(() => s.requests.length === 6, 'all six immediate checks to reach the server');
    await hc.stop(50);
    expect(hc.stats().inFlight).toBe(0);
    expect(results.map((r) => r.key)).toEqual(['svc:ok']);
    hc.track('svc:late', `${s.url}/ok`, { immediate: true });
    expect(hc.stats().queued).toBe(0);
    await waitFor(() => {
      const now = openHandles();
      return now.sockets <= before.sockets && now.timers <= before.timers;
    }, 'the checker\'s sockets and timers to be released');
  });
});

/**
 * Waits (in real time, whatever the fake clock says) until the checker has nothing queued or
 * running, twice with two event-loop turns between: a check waits up to one turn for admission,
 * and a check that reached the server is running until its answer is read.
 */
async function checkerIdle(hc: HealthChecker, what: string): Promise<void> {
  const idle = () => hc.stats().inFlight === 0 && hc.stats().queued === 0;
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  await waitFor(async () => {
    if (!idle()) return false;
    await turn();
    await turn();
    return idle();
  }, `the health checker to be idle after ${what}`);
}
