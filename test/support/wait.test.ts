import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from './wait';

afterEach(() => {
  vi.useRealTimers();
});

describe('waitFor', () => {
  it('fails at its deadline, naming what it waited for', async () => {
    let tries = 0;
    const failure = await waitFor(() => ++tries < 0, 'a condition that never holds', { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^timed out after 50 ms \(\d+ tries\) waiting for a condition that never holds$/);
    expect(tries).toBeGreaterThan(1);
  });

  it('keeps real time while a test fakes every timer and the clock', async () => {
    vi.useFakeTimers();
    const failure = await waitFor(() => false, 'nothing', { timeoutMs: 30 }).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/waiting for nothing$/);
    let ready = false;
    setTimeout(() => (ready = true), 1_000);
    const waiting = waitFor(() => ready, 'the faked timer to fire');
    await vi.advanceTimersByTimeAsync(1_000);
    await waiting;
  }, 5_000);
});
