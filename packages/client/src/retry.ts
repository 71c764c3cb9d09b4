/** Exponential backoff between attempts; every delay is jittered. */
export interface BackoffOptions {
  /** Delay ceiling before the first retry, in ms. Default 200. */
  initialDelayMs?: number;
  /** Largest delay between two attempts, in ms. Default 5000. */
  maxDelayMs?: number;
}

/**
 * A failure worth another attempt: a network error, a timeout, or a 429/502/503/504 answer.
 * `retryAfterMs` carries the manager's `Retry-After` hint when it sent one.
 */
export class TransientFailure extends Error {
  override name = 'TransientFailure';
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The delay before retry number `retry`, counted from 0 (0 = the first retry): "equal jitter",
 * a random value between half and all of `min(maxDelayMs, initialDelayMs * 2^retry)`, so many
 * clients that failed together do not come back together. The manager of `@governance/core`
 * paces its own retries with the same numbering and formula.
 */
export function backoffDelay(retry: number, backoff: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = backoff.initialDelayMs ?? 200;
  const max = backoff.maxDelayMs ?? 5000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(retry, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Reads a `Retry-After` header (delay in seconds, or an HTTP date) as milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  /** Retries after the first attempt (so `retries + 1` attempts at most). */
  retries: number;
  backoff?: BackoffOptions;
  /** Largest `Retry-After` honoured, in ms; longer hints are cut to this. */
  maxRetryAfterMs: number;
  signal?: AbortSignal | undefined;
  /** Builds the error thrown when every attempt failed transiently. */
  giveUp: (last: TransientFailure, attempts: number) => Error;
}

/**
 * Runs `attempt` until it succeeds, throws anything but a `TransientFailure`, or the retries
 * are spent. Waits between attempts per the backoff, or per the `Retry-After` hint (capped).
 */
export async function withRetries<T>(attempt: (index: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let index = 0; ; index++) {
    try {
      return await attempt(index);
    } catch (error) {
      if (!(error instanceof TransientFailure)) throw error;
      if (index >= options.retries) throw options.giveUp(error, index + 1);
      const delay =
        error.retryAfterMs !== undefined
          ? Math.min(error.retryAfterMs, options.maxRetryAfterMs)
          : backoffDelay(index, options.backoff);
      await sleep(delay, options.signal);
    }
  }
}
