import PQueue from 'p-queue';
import { AgentPair } from './http-agent';

/**
 * What the health checker and the notifier share: a p-queue limited to `concurrency`, the
 * keep-alive agents of that pool, and one way to stop. `stop(deadlineMs)` stops taking work,
 * drops what has not started, waits up to the deadline for the work in flight, cancels the rest
 * (and waits for it to unwind), and closes every socket. Safe to call twice.
 *
 * @internal
 */
export abstract class IoPool {
  protected readonly queue: PQueue;
  protected readonly agents: AgentPair;
  protected stopped = false;
  #stopping: Promise<void> | undefined;

  protected constructor(concurrency: number) {
    this.queue = new PQueue({ concurrency });
    this.agents = new AgentPair(concurrency);
  }

  /**
   * Stops the pool; see the class comment. An aborted `signal` ends the wait for work in flight
   * early. Resolves once nothing runs and every socket is closed.
   */
  stop(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.#stopping ??= this.#shutdown(deadlineMs, signal);
    return this.#stopping;
  }

  /** Called once `stopped` is set and the queue cleared: forget (and report) the work not started. */
  protected abstract dropWaiting(): void;

  /** True while some work is in flight. */
  protected abstract get busy(): boolean;

  /** Cancels every unit of work still in flight (its result is dropped). */
  protected abstract cancelRunning(): void;

  /** Called last, after the sockets are closed. */
  protected afterStop(): void {}

  async #shutdown(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.stopped = true;
    this.queue.clear();
    this.dropWaiting();
    if (this.busy) {
      let deadline: NodeJS.Timeout | undefined;
      let onAbort: (() => void) | undefined;
      const expired = new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, signal?.aborted ? 0 : Math.max(0, deadlineMs));
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      await Promise.race([this.queue.onPendingZero(), expired]);
      clearTimeout(deadline);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      this.cancelRunning();
      await this.queue.onPendingZero();
    }
    this.agents.destroy();
    this.afterStop();
  }
}
