/** The reason of an aborted signal, as an Error (an `AbortError` when the signal gave none). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException(reason === undefined ? 'This operation was aborted' : String(reason), 'AbortError');
}

/**
 * `promise`, or a rejection with the signal's reason as soon as `signal` aborts, whichever comes
 * first. Without a signal it is `promise` itself. The listener is removed once settled.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The deadline of `manager.stop()`: `timeoutMs` from now, or right away once `signal` aborts.
 * `left()` is the time still granted (0 after an abort); `within(p)` resolves true when `p`
 * settled in time, false at the deadline or the abort.
 */
export class StopDeadline {
  readonly #end: number;
  readonly #signal: AbortSignal | undefined;

  constructor(timeoutMs: number, signal?: AbortSignal) {
    this.#end = Date.now() + timeoutMs;
    this.#signal = signal;
  }

  left(): number {
    if (this.#signal?.aborted) return 0;
    return Math.max(0, this.#end - Date.now());
  }

  async within(promise: Promise<unknown>): Promise<boolean> {
    const signal = this.#signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.left());
      if (signal !== undefined) {
        onAbort = () => resolve(false);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([promise.then(() => true as const), expired]);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }
}
