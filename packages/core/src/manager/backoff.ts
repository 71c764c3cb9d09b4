/**
 * Retry pacing shared by the health checker and the notifier.
 *
 * @internal
 */

/** How long to wait between attempts: exponential from `baseMs`, capped at `maxMs`. */
export interface BackoffPolicy {
  /** Delay before the first retry, in ms. */
  baseMs: number;
  /** Upper bound of any single delay, in ms. */
  maxMs: number;
  /**
   * `true` → "equal jitter": a delay uniformly drawn from [d/2, d], so retries of many
   * targets that failed together do not come back in lockstep.
   */
  jitter: boolean;
}

/** Health-check retries: short and deterministic (50, 100, 200 … capped at 1 s). */
export const PROBE_BACKOFF: BackoffPolicy = { baseMs: 50, maxMs: 1000, jitter: false };

/** Delivery retries: 100, 200, 400 … ms with jitter, capped at 5 s. */
export const DELIVERY_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 5000, jitter: true };

/**
 * The delay before retry number `retry`, counted from 0 (0 = the first retry):
 * `min(maxMs, baseMs * 2^retry)`, with equal jitter when the policy asks for it. The same
 * numbering as `backoffDelay` of `@governance/client`.
 */
export function backoffDelay(retry: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(retry, 0), 30);
  const full = Math.min(policy.baseMs * 2 ** exponent, policy.maxMs);
  if (!policy.jitter) return full;
  return Math.round(full / 2 + Math.random() * (full / 2));
}

/**
 * Cancels one unit of work (an HTTP attempt, a TCP connect, a backoff sleep). Cheaper than an
 * `AbortController` per check; bridges to an `AbortSignal` where a caller passes one.
 *
 * @internal
 */
export class CancelToken {
  cancelled = false;
  reason = '';
  private hook: (() => void) | undefined;

  /** Sets (or clears) what to run on cancel; runs it at once if already cancelled. */
  onCancel(hook: (() => void) | undefined): void {
    this.hook = hook;
    if (this.cancelled && hook) {
      this.hook = undefined;
      hook();
    }
  }

  cancel(reason: string): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    const hook = this.hook;
    this.hook = undefined;
    hook?.();
  }

  /** Cancels this token when `signal` aborts; returns the function that detaches the listener. */
  follow(signal: AbortSignal | undefined): () => void {
    if (!signal) return noop;
    if (signal.aborted) {
      this.cancel('aborted');
      return noop;
    }
    const listener = () => this.cancel('aborted');
    signal.addEventListener('abort', listener, { once: true });
    return () => signal.removeEventListener('abort', listener);
  }
}

function noop(): void {}

/** Waits `ms` (unref'd timer, so it never keeps the process alive); resolves early on cancel. */
export function sleep(ms: number, token?: CancelToken): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      token?.onCancel(undefined);
      resolve();
    }, ms);
    timer.unref();
    token?.onCancel(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
