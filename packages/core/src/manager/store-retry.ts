import { StoreError } from '../errors';
import type { StoreRetryConfig } from './config';

/** True for failures worth retrying: a `StoreError` marked transient. */
export function isTransientStoreError(error: unknown): boolean {
  return error instanceof StoreError && error.transient;
}

/**
 * Runs `attempt` and retries it on transient `StoreError`s, `retries` times at most, waiting
 * `delayMs`, then twice that, … (each wait capped at `maxDelayMs`). Other errors and the last
 * transient one are rethrown as they are. An aborted `signal` stops the waiting.
 */
export async function withStoreRetry<T>(
  attempt: () => Promise<T>,
  config: StoreRetryConfig,
  signal?: AbortSignal,
): Promise<T> {
  let delay = config.delayMs;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= config.retries || !isTransientStoreError(error) || signal?.aborted) throw error;
      await sleep(Math.min(delay, config.maxDelayMs), signal);
      delay *= 2;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
