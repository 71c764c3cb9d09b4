import { describe, expect, it } from 'vitest';
import { SseReader } from './sse-reader';
import { pod, pullTestBed } from './support';

describe('1,000 concurrent watchers on one manager', () => {
  const bed = pullTestBed();

  it('each receives a change within 1 s (p99)', async () => {
    const { manager, base } = await bed.start({ healthCheckInterval: 3_600_000 });
    const readers: SseReader[] = [];
    bed.onClose(async () => {
      for (const reader of readers) reader.close();
    });
    for (let i = 0; i < 1_000; i++) {
      readers.push(new SseReader(`${base}/watch?service=eir&service=w${i % 10}`));
      if (i % 100 === 99) await Promise.all(readers.slice(-100).map((r) => r.waitFor(2, 15_000)));
    }
    expect(manager.stats().watchers.active).toBe(1_000);
    const latencies: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = readers.map((r) => r.frames.length);
      const changedAt = performance.now();
      await manager.register(pod('eir', `eir-${round}`));
      await Promise.all(readers.map((r, i) => r.waitFor(before[i]! + 1, 10_000)));
      for (const [i, r] of readers.entries()) latencies.push(r.frames[before[i]!]!.at - changedAt);
    }
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length * 0.5)]!;
    const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
    console.log(`[watch] 1,000 watchers: change → event p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (register call included)`);
    expect(p99).toBeLessThan(1_000);
    for (const r of readers) expect(r.frames.at(-1)!.data.pods).toHaveLength(3);
  }, 120_000);
});
