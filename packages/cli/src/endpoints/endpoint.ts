import type { ServiceInfo } from '@governance/core';

/**
 * One side of a transfer: a store reached through its package (`postgres://…`, `mysql://…`,
 * `mongodb://…`) or a running manager reached over HTTP (`http(s)://host:port/prefix`).
 */
export interface Endpoint {
  /** Where it is, with any password masked: `postgres://app:***@db:5432/gov`. */
  readonly label: string;
  /**
   * `store`: writes keep status and timestamps. `manager`: writes are registrations, so the
   * manager sets status (`unknown` until its first check) and the times itself.
   */
  readonly kind: 'store' | 'manager';
  /** Every pod it holds (order unspecified). */
  readAll(signal?: AbortSignal): Promise<ServiceInfo[]>;
  /**
   * Writes pods as idempotent upserts (writing a pod twice leaves one pod), resolving once they
   * are durable. A store applies the whole call as one group commit when it can.
   */
  write(pods: readonly ServiceInfo[], signal?: AbortSignal): Promise<void>;
  /** (subscriber, group) pairs in the store's subscription index, when it has one. */
  subscriptionPairs?(signal?: AbortSignal): Promise<number>;
  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}
