import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ManagerEvents } from '../manager/events';
import type { Manager } from '../manager/manager';
import { clusterOf, requestResult } from './manager-view';

/** The parts of a `Manager` the collector reads: its events, `stats()` and the pods by group. */
export type MetricsManager = Pick<Manager, 'on' | 'off' | 'stats' | 'getAllServicePods'> &
  Partial<Pick<Manager, 'podCountsByService'>>;

/** Options of {@link collectMetrics}. */
export interface CollectMetricsOptions {
  /** The host's registry to register on. Default: a new `Registry` (see `GovernanceMetrics.registry`). */
  registry?: Registry;
  /** Prefix of every metric name. Default `governance_`. */
  prefix?: string;
  /**
   * Most distinct `service` label values of `<prefix>pods`; the pods of further services (in
   * name order) are counted under `service="_other"`. Bounds the series count. Default 1000.
   */
  maxServiceLabels?: number;
  /** Bucket bounds (seconds) of the probe, delivery and commit histograms. */
  buckets?: { probe?: number[]; delivery?: number[]; commit?: number[] };
}

/** What {@link collectMetrics} returns: pass it as the adapters' `metrics` option to serve `GET /metrics`. */
export interface GovernanceMetrics {
  /** The registry the metrics are registered on (the host's, or the one created). */
  readonly registry: Registry;
  /** The exposition's content type (Prometheus text format). */
  readonly contentType: string;
  /** Renders every metric of `registry` (also the host's own) in the text exposition format. */
  metrics(): Promise<string>;
  /** Stops listening to the manager and removes the Governance metrics from the registry. */
  close(): void;
}

const DEFAULT_BUCKETS = {
  probe: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  delivery: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  commit: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
};

const REGISTER_RESULTS = ['created', 'updated', 'unchanged', 'invalid', 'queue_full', 'store_error', 'stopped', 'error'];
const UNREGISTER_RESULTS = ['removed', 'invalid', 'queue_full', 'store_error', 'stopped', 'error'];
const STATUSES = ['healthy', 'unhealthy', 'unknown'] as const;

/**
 * Registers the manager's metrics on a prom-client registry (prom-client is an optional peer
 * dependency: install it to use this subpath). Counters and histograms follow the manager's
 * events; gauges read `stats()` and the pods at scrape time. Labels are bounded: per service
 * and status, per result — never per pod or subscriber.
 *
 * ```ts
 * import { collectMetrics } from '@governance/core/prometheus';
 * const metrics = collectMetrics(manager);
 * app.use(governanceRouter(manager, { metrics }));   // GET /metrics
 * ```
 *
 * @throws ValidationError-like TypeError naming a bad option (`prefix`, `maxServiceLabels`);
 *   prom-client's error when a metric of the same name is already registered.
 */
export function collectMetrics(manager: MetricsManager, options: CollectMetricsOptions = {}): GovernanceMetrics {
  const prefix = options.prefix ?? 'governance_';
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix)) {
    throw new TypeError(`[core] collectMetrics: prefix must match [a-zA-Z_:][a-zA-Z0-9_:]*, got ${JSON.stringify(prefix)}`);
  }
  const maxServices = options.maxServiceLabels ?? 1000;
  if (!Number.isInteger(maxServices) || maxServices < 1) {
    throw new TypeError(`[core] collectMetrics: maxServiceLabels must be a whole number of at least 1, got ${String(maxServices)}`);
  }
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const buckets = { ...DEFAULT_BUCKETS, ...options.buckets };
  const created: string[] = [];
  const n = (name: string): string => {
    created.push(`${prefix}${name}`);
    return `${prefix}${name}`;
  };
  const counter = (name: string, help: string, labelNames: string[] = []): Counter<string> =>
    new Counter({ name: n(name), help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[], bucketList: number[]): Histogram<string> =>
    new Histogram({ name: n(name), help, labelNames, buckets: bucketList, registers });

  // Gauges read at scrape time.
  new Gauge({
    name: n('pods'),
    help: 'Registered pods by service and status',
    labelNames: ['service', 'status'],
    registers,
    async collect() {
      this.reset();
      const groups = [...(await podCounts(manager))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const other = { healthy: 0, unhealthy: 0, unknown: 0 };
      groups.forEach(([service, counts], index) => {
        if (index < maxServices) for (const status of STATUSES) this.set({ service, status }, counts[status]);
        else for (const status of STATUSES) other[status] += counts[status];
      });
      if (groups.length > maxServices) for (const status of STATUSES) this.set({ service: '_other', status }, other[status]);
    },
  });
  const statsGauge = (name: string, help: string, read: (s: ReturnType<MetricsManager['stats']>) => number | undefined): void => {
    new Gauge({
      name: n(name),
      help,
      registers,
      collect() {
        this.set(read(manager.stats()) ?? 0);
      },
    });
  };
  statsGauge('queue_depth', 'Changes waiting in the ordered write lane', (s) => s.queueDepth);
  statsGauge('queue_capacity', 'Capacity of the ordered write lane (eventQueueSize)', (s) => s.queueCapacity);
  statsGauge('probes_in_flight', 'Health checks running now', (s) => s.probes.inFlight);
  statsGauge('probes_queued', 'Health checks due and waiting for a free slot', (s) => s.probes.queued);
  statsGauge('notifications_pending', 'Notifications waiting to be delivered (queued, backing off or behind an in-flight one)', (s) => s.deliveries.pending);
  statsGauge('notifications_in_flight', 'Notification POSTs in flight', (s) => s.deliveries.inFlight);
  statsGauge(
    'notification_circuits_open',
    'Subscribers whose delivery circuit is open (0 while the engine has no circuit breaker)',
    (s) => (s.deliveries as { openCircuits?: number }).openCircuits,
  );
  let supersededSeen = 0;
  new Counter({
    name: n('notifications_superseded_total'),
    help: 'Undelivered notifications replaced by a newer one for the same subscriber and group',
    registers,
    collect() {
      const now = manager.stats().deliveries.superseded;
      if (now > supersededSeen) this.inc(now - supersededSeen);
      supersededSeen = Math.max(supersededSeen, now);
    },
  });

  // Cluster gauges: samples only while the manager reports cluster stats.
  const clusterGauge = (name: string, help: string, read: (c: NonNullable<ReturnType<typeof clusterOf>>) => number): void => {
    new Gauge({
      name: n(name),
      help,
      labelNames: ['member'],
      registers,
      collect() {
        this.reset();
        const cluster = clusterOf(manager.stats());
        if (cluster !== undefined) this.set({ member: cluster.memberId ?? '' }, read(cluster));
      },
    });
  };
  clusterGauge('cluster_members', 'Live members of the cluster, as this member sees them', (c) => c.members.length);
  clusterGauge('cluster_lease_valid', '1 while this member holds a valid lease', (c) => (c.valid ? 1 : 0));
  clusterGauge('cluster_owned_pods', 'Pods this member probes', (c) => c.ownedPods);
  clusterGauge('cluster_owned_subscribers', 'Subscribers this member delivers to', (c) => c.ownedSubscribers);
  clusterGauge('cluster_owned_pods_ratio', "This member's share of the pods (0 to 1)", (c) => c.ownedShare);
  clusterGauge('cluster_applied_sequence', 'Position of the change log this member has applied', (c) => c.appliedSeq);
  new Counter({
    name: n('cluster_reloads_total'),
    help: 'Full reloads of the view since start',
    labelNames: ['member'],
    registers,
    collect() {
      this.reset();
      const cluster = clusterOf(manager.stats());
      if (cluster !== undefined) this.inc({ member: cluster.memberId ?? '' }, cluster.reloads);
    },
  });

  // Counters and histograms from events.
  const registrations = counter('registrations_total', 'register() calls by result', ['result']);
  const unregistrations = counter('unregistrations_total', 'unregister() calls by result (removed, or why it failed)', ['result']);
  const deregistrations = counter('deregistrations_total', 'Pods removed because they stayed unhealthy for deregisterAfter');
  const statusChanges = counter('status_changes_total', 'Pod status changes by new status', ['status']);
  const probes = counter('health_checks_total', 'Completed health checks by result', ['result']);
  const probeSeconds = histogram('health_check_duration_seconds', 'Duration of a health check, retries included', ['result'], buckets.probe);
  const deliveries = counter('notifications_total', 'Notifications delivered or given up', ['result']);
  const deliverySeconds = histogram(
    'notification_delivery_duration_seconds',
    'Time from queueing a notification to its outcome, retries included',
    ['result'],
    buckets.delivery,
  );
  const reconciles = counter('reconciles_total', 'Periodic reconcile rounds');
  const commitSeconds = histogram('store_commit_duration_seconds', 'Duration of a group commit to the store, retries included', [], buckets.commit);
  const storeErrors = counter('store_errors_total', 'Failed store writes by kind (transient ones are retried)', ['kind']);

  for (const result of REGISTER_RESULTS) registrations.inc({ result }, 0);
  for (const result of UNREGISTER_RESULTS) unregistrations.inc({ result }, 0);
  for (const status of STATUSES) statusChanges.inc({ status }, 0);
  for (const result of ['healthy', 'unhealthy']) {
    probes.inc({ result }, 0);
    probeSeconds.zero({ result });
  }
  for (const result of ['delivered', 'failed']) {
    deliveries.inc({ result }, 0);
    deliverySeconds.zero({ result });
  }
  for (const kind of ['transient', 'permanent']) storeErrors.inc({ kind }, 0);

  const listeners: { [E in keyof ManagerEvents]?: ManagerEvents[E] } = {
    registered: (_service, outcome) => registrations.inc({ result: outcome }),
    unregistered: () => unregistrations.inc({ result: 'removed' }),
    deregistered: () => deregistrations.inc(),
    requestFailed: ({ operation, error }) =>
      (operation === 'register' ? registrations : unregistrations).inc({ result: requestResult(error) }),
    statusChanged: (service) => statusChanges.inc({ status: service.status }),
    healthChecked: (_key, result) => {
      const label = { result: result.healthy ? 'healthy' : 'unhealthy' };
      probes.inc(label);
      probeSeconds.observe(label, result.durationMs / 1000);
    },
    notificationDelivered: ({ durationMs }) => {
      deliveries.inc({ result: 'delivered' });
      deliverySeconds.observe({ result: 'delivered' }, durationMs / 1000);
    },
    notificationFailed: ({ durationMs }) => {
      deliveries.inc({ result: 'failed' });
      deliverySeconds.observe({ result: 'failed' }, durationMs / 1000);
    },
    reconciled: () => reconciles.inc(),
    committed: ({ durationMs }) => commitSeconds.observe(durationMs / 1000),
    storeFailed: (_error, { transient }) => storeErrors.inc({ kind: transient ? 'transient' : 'permanent' }),
  };
  const on = manager.on.bind(manager) as (event: string, listener: (...args: never[]) => void) => unknown;
  const off = manager.off.bind(manager) as (event: string, listener: (...args: never[]) => void) => unknown;
  for (const [event, listener] of Object.entries(listeners)) on(event, listener as (...args: never[]) => void);

  let closed = false;
  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    metrics: () => registry.metrics(),
    close() {
      if (closed) return;
      closed = true;
      for (const [event, listener] of Object.entries(listeners)) off(event, listener as (...args: never[]) => void);
      for (const name of created) registry.removeSingleMetric(name);
    },
  };
}

type StatusCounts = Record<(typeof STATUSES)[number], number>;

/** Pods per status of each service: counted by the engine when it can, else from the pods. */
async function podCounts(manager: MetricsManager): Promise<Map<string, StatusCounts>> {
  if (manager.podCountsByService !== undefined) return manager.podCountsByService();
  const out = new Map<string, StatusCounts>();
  for (const [service, pods] of await manager.getAllServicePods()) {
    const counts = { healthy: 0, unhealthy: 0, unknown: 0 };
    for (const pod of pods) counts[pod.status]++;
    out.set(service, counts);
  }
  return out;
}
