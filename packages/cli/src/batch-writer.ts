import type { ServiceInfo } from '@governance/core';
import type { Endpoint } from './endpoints/endpoint';
import { InterruptedError } from './errors';
import type { Progress } from './progress';

/** Pods per write by default: one `applyBatch` transaction each on a store. */
export const DEFAULT_BATCH_SIZE = 1000;

/**
 * Collects pods and writes them to an endpoint `batchSize` at a time (one group commit per
 * batch on stores with `applyBatch`). Before every batch it checks `signal`: once aborted, it
 * stops with an `InterruptedError` saying how many pods were written — every one of them is
 * durable, and re-running the command finishes the job (writes are idempotent).
 */
export class BatchWriter {
  readonly #pending: ServiceInfo[] = [];
  #written = 0;

  constructor(
    private readonly target: Endpoint,
    private readonly batchSize: number,
    private readonly progress: Progress,
    private readonly signal: AbortSignal | undefined,
    private readonly what: string,
  ) {}

  /** Pods written so far. */
  get written(): number {
    return this.#written;
  }

  async add(pod: ServiceInfo): Promise<void> {
    this.#pending.push(pod);
    if (this.#pending.length >= this.batchSize) await this.flush();
  }

  async addAll(pods: readonly ServiceInfo[]): Promise<void> {
    for (let at = 0; at < pods.length; at += this.batchSize) {
      this.#pending.push(...pods.slice(at, at + this.batchSize));
      await this.flush();
    }
  }

  /** Stops the progress display; `completed` false leaves it where the run stopped. */
  finish(completed: boolean): void {
    this.progress.finish(completed);
  }

  /** Writes what is pending. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    if (this.signal?.aborted) {
      throw new InterruptedError(
        `[cli] ${this.what} interrupted: ${this.#written} pods were written to ${this.target.label} and are durable; run the same command again to finish`,
      );
    }
    const batch = this.#pending.splice(0, this.#pending.length);
    await this.target.write(batch);
    this.#written += batch.length;
    this.progress.advance(batch.length);
  }
}
