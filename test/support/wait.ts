// Captured when this module loads, before any test can install fake timers: a wait must run in
// real time even while a test drives the code under test with vi.useFakeTimers().
import { setTimeout as sleep } from 'node:timers/promises';

const now = performance.now.bind(performance);

export interface WaitOptions {
  /** How long to keep trying before failing (default 5 000 ms). A hang guard, not a speed bound. */
  timeoutMs?: number;
  /** Pause between tries (default 10 ms). */
  intervalMs?: number;
}

/**
 * Polls `check` in real time until it returns true; fails after `timeoutMs` with an error
 * naming `what` it waited for. An exception thrown by `check` ends the wait at once.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, options: WaitOptions | number = {}): Promise<void> {
  const { timeoutMs = 5_000, intervalMs = 10 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    if (await check()) return;
    if (now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms (${tries} tries) waiting for ${what}`);
    await sleep(intervalMs);
  }
}
