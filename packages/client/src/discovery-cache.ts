import { EventEmitter } from 'node:events';
import {
  createNotificationHandler,
  type NotificationHandler,
  type NotificationHandlerOptions,
} from './notification-handler.js';
import {
  SERVICE_STATUSES,
  parseNotificationPayload,
  type NotificationPayload,
  type Protocol,
  type Provider,
  type RegisteredService,
  type ServiceStatus,
} from './wire.js';

/** A pod of a subscribed service as the cache holds it. */
export interface DiscoveredPod {
  podName: string;
  status: ServiceStatus;
  providers: Provider[];
}

/** One healthy endpoint of a service for a protocol. */
export interface Endpoint {
  ip: string;
  port: number;
  podName: string;
}

/** Events of a `DiscoveryCache`. */
export interface DiscoveryCacheEvents {
  /** The pods of `serviceName` changed (new pods, gone pods, status or provider changes). */
  change: [serviceName: string, pods: DiscoveredPod[]];
}

/** Options of `DiscoveryCache`. */
export interface DiscoveryCacheOptions extends NotificationHandlerOptions {
  /** Also told about every notification the cache's `handler` accepts. */
  onNotification?: (payload: NotificationPayload) => void;
}

const copyPods = (pods: readonly DiscoveredPod[]): DiscoveredPod[] =>
  pods.map((p) => ({ podName: p.podName, status: p.status, providers: p.providers.map((q) => ({ ...q })) }));

function samePods(a: readonly DiscoveredPod[], b: readonly DiscoveredPod[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i]!;
    return (
      p.podName === q.podName &&
      p.status === q.status &&
      p.providers.length === q.providers.length &&
      p.providers.every((x, j) => {
        const y = q.providers[j]!;
        return x.protocol === y.protocol && x.ip === y.ip && x.port === y.port;
      })
    );
  });
}

/**
 * The client-side view of the services a pod subscribes to, kept current by the manager's
 * notifications. Each payload is taken as the full state of its group: the cache replaces the
 * group's pods with the payload's and never looks at `event_type` (a newer change supersedes an
 * undelivered older one, so an `update` may be the first news of a pod whose `register` never
 * arrived). Mount `cache.handler` as the pod's `/notify` route, or feed it with
 * `cache.apply(payload)`. Stale revisions are ignored; `change` is emitted only when a group's
 * pods actually changed.
 *
 * ```ts
 * const cache = new DiscoveryCache();
 * app.post('/notify', cache.handler);
 * const eir = cache.pick('eir', 'http'); // round-robin over healthy eir pods, or undefined
 * ```
 */
export class DiscoveryCache extends EventEmitter<DiscoveryCacheEvents> {
  /** A notification handler (node:http / Express, and `.koa`) that feeds this cache. */
  readonly handler: NotificationHandler;
  readonly #groups = new Map<string, { pods: DiscoveredPod[]; revision: number | undefined }>();
  readonly #cursors = new Map<string, number>();

  constructor(options: DiscoveryCacheOptions = {}) {
    super();
    const { onNotification, ...handlerOptions } = options;
    this.handler = createNotificationHandler((payload) => {
      this.#applyChecked(payload);
      onNotification?.(payload);
    }, handlerOptions);
  }

  /**
   * Applies one notification. Returns false (and changes nothing) when its `revision` is not
   * newer than the last one applied for the group.
   * @throws TypeError naming the bad fields when `payload` is not a valid notification.
   */
  apply(payload: NotificationPayload): boolean {
    const checked = parseNotificationPayload(payload);
    if (!checked.ok) {
      const detail = checked.errors.map((e) => `${e.path || 'payload'} ${e.message}`).join('; ');
      throw new TypeError(`[client] DiscoveryCache.apply: invalid notification: ${detail}`);
    }
    return this.#applyChecked(checked.payload);
  }

  /**
   * Seeds the cache from `GovernanceClient.listServices()`, so a pod knows its peers before the
   * first notification arrives. Groups that already received a notification are left alone
   * (it is newer than any listing); `only` limits the seeding to some service names.
   */
  load(services: readonly RegisteredService[], only?: readonly string[]): void {
    const groups = new Map<string, DiscoveredPod[]>();
    for (const service of services) {
      if (only && !only.includes(service.serviceName)) continue;
      if (this.#groups.has(service.serviceName)) continue;
      const status = (SERVICE_STATUSES as readonly string[]).includes(service.status)
        ? (service.status as ServiceStatus)
        : 'unknown';
      const pods = groups.get(service.serviceName) ?? [];
      pods.push({ podName: service.podName, status, providers: service.providers });
      groups.set(service.serviceName, pods);
    }
    for (const [serviceName, pods] of groups) {
      this.#groups.set(serviceName, { pods: copyPods(pods), revision: undefined });
      this.emit('change', serviceName, copyPods(pods));
    }
  }

  #applyChecked(payload: NotificationPayload): boolean {
    const current = this.#groups.get(payload.service_name);
    if (payload.revision !== undefined && current?.revision !== undefined && payload.revision <= current.revision) {
      return false;
    }
    const pods = copyPods(
      payload.pods.map((p) => ({ podName: p.pod_name, status: p.status, providers: p.providers })),
    );
    const revision = payload.revision ?? current?.revision;
    this.#groups.set(payload.service_name, { pods, revision });
    if (!current || !samePods(current.pods, pods)) this.emit('change', payload.service_name, copyPods(pods));
    return true;
  }

  /**
   * Feeds the cache from a watch (`client.watch([...], { signal })`) instead of push
   * notifications: every event is applied like a notification, and the same `change` events
   * follow. Resolves when the watch ends (its signal was aborted); rejects with its error.
   *
   * ```ts
   * void cache.follow(client.watch(['eir', 'hss'], { signal }));
   * ```
   */
  async follow(events: AsyncIterable<{ payload: NotificationPayload }>): Promise<void> {
    for await (const event of events) this.#applyChecked(event.payload);
  }

  /** Names of the services the cache has heard of. */
  services(): string[] {
    return [...this.#groups.keys()];
  }

  /** The pods of a service (copies), in the manager's order; `[]` when unknown. */
  pods(serviceName: string): DiscoveredPod[] {
    return copyPods(this.#groups.get(serviceName)?.pods ?? []);
  }

  /** The endpoints of a service's healthy pods that speak `protocol`. */
  healthyEndpoints(serviceName: string, protocol: Protocol): Endpoint[] {
    const endpoints: Endpoint[] = [];
    for (const pod of this.#groups.get(serviceName)?.pods ?? []) {
      if (pod.status !== 'healthy') continue;
      for (const provider of pod.providers) {
        if (provider.protocol === protocol) endpoints.push({ ip: provider.ip, port: provider.port, podName: pod.podName });
      }
    }
    return endpoints;
  }

  /** The next healthy endpoint of a service for a protocol, round-robin; undefined if none. */
  pick(serviceName: string, protocol: Protocol): Endpoint | undefined {
    const endpoints = this.healthyEndpoints(serviceName, protocol);
    if (endpoints.length === 0) return undefined;
    const key = `${serviceName}\u0000${protocol}`;
    const cursor = this.#cursors.get(key) ?? 0;
    this.#cursors.set(key, (cursor + 1) % Number.MAX_SAFE_INTEGER);
    return endpoints[cursor % endpoints.length];
  }
}
