/**
 * The data model of the registry, in TypeScript (camelCase) names.
 * The HTTP wire format uses snake_case; conversion lives only in `wire.ts`.
 */

/** Protocols a provider endpoint may speak (the Go library's set). */
export const PROTOCOLS = ['http', 'tcp', 'pfcp', 'gtp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Health states of a pod. A pod starts `unknown` until its first check completes. */
export const SERVICE_STATUSES = ['healthy', 'unhealthy', 'unknown'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

/** Kinds of notification sent to subscribers (the Go library's set). */
export const EVENT_TYPES = ['register', 'unregister', 'update', 'reconcile'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One endpoint a pod offers. */
export interface Provider {
  protocol: Protocol;
  ip: string;
  port: number;
}

/** What a pod sends to register itself. */
export interface ServiceRegistration {
  serviceName: string;
  podName: string;
  providers: Provider[];
  /**
   * `http(s)://…` URL answered with 2xx when healthy, or `tcp://host:port` for a connect check.
   * Empty when the pod proves liveness by heartbeats instead (`ttl`).
   */
  healthCheckUrl: string;
  /** `http(s)://…` URL the manager POSTs notifications to. */
  notificationUrl: string;
  /** Service groups (service names) this pod wants to be told about. Deduplicated. */
  subscriptions: string[];
  /**
   * TTL (heartbeat) check, in ms: the pod sends `PUT /heartbeat` at least this often, and a
   * missed TTL counts as a failed health check. Absent for pods checked through `healthCheckUrl`.
   */
  ttl?: number;
}

/** A registered pod as the registry keeps it. */
export interface ServiceInfo extends ServiceRegistration {
  status: ServiceStatus;
  lastHealthCheck: Date;
  registeredAt: Date;
  updatedAt: Date;
}

/** One pod inside a notification, in wire (snake_case) form. */
export interface NotificationPod {
  pod_name: string;
  status: ServiceStatus;
  providers: Provider[];
}

/**
 * The JSON body POSTed to subscribers, wire-compatible with the Go library.
 * `revision` is our addition: it increases for every payload of a group, also across manager
 * restarts, so receivers can drop stale, out-of-order deliveries. Go receivers ignore it.
 */
export interface NotificationPayload {
  service_name: string;
  event_type: EventType;
  /** RFC 3339 timestamp of when the payload was built. */
  timestamp: string;
  pods: NotificationPod[];
  revision?: number;
}

/** Separator between service name and pod name in a service key. Names may not contain it. */
export const KEY_SEPARATOR = ':';

/** The registry key of a pod: `${serviceName}:${podName}`. */
export function serviceKey(serviceName: string, podName: string): string {
  return `${serviceName}${KEY_SEPARATOR}${podName}`;
}

/** The key of a registered pod. */
export function keyOf(service: Pick<ServiceRegistration, 'serviceName' | 'podName'>): string {
  return serviceKey(service.serviceName, service.podName);
}

/** Fresh provider objects with exactly the three provider fields. */
export function copyProviders(providers: readonly Provider[]): Provider[] {
  return providers.map((p) => ({ protocol: p.protocol, ip: p.ip, port: p.port }));
}

/**
 * A deep copy of a pod record: no array, provider or date is shared with the input, and only
 * the fields of {@link ServiceInfo} are kept. The one copy routine of the package: stores use it
 * to hand out and keep copies, the manager to hand records to callers and listeners.
 */
export function cloneService(service: ServiceInfo): ServiceInfo {
  return {
    serviceName: service.serviceName,
    podName: service.podName,
    providers: copyProviders(service.providers),
    healthCheckUrl: service.healthCheckUrl,
    notificationUrl: service.notificationUrl,
    subscriptions: service.subscriptions.slice(),
    status: service.status,
    lastHealthCheck: new Date(service.lastHealthCheck.getTime()),
    registeredAt: new Date(service.registeredAt.getTime()),
    updatedAt: new Date(service.updatedAt.getTime()),
    ...(service.ttl === undefined ? {} : { ttl: service.ttl }),
  };
}

/**
 * True when two registrations describe the same pod configuration (names, providers in order,
 * URLs, and the same set of subscriptions). Status and timestamps are not compared.
 */
export function sameRegistration(a: ServiceRegistration, b: ServiceRegistration): boolean {
  if (
    a.serviceName !== b.serviceName ||
    a.podName !== b.podName ||
    a.healthCheckUrl !== b.healthCheckUrl ||
    a.notificationUrl !== b.notificationUrl ||
    a.ttl !== b.ttl ||
    a.providers.length !== b.providers.length ||
    a.subscriptions.length !== b.subscriptions.length
  ) {
    return false;
  }
  for (let i = 0; i < a.providers.length; i++) {
    const p = a.providers[i]!;
    const q = b.providers[i]!;
    if (p.protocol !== q.protocol || p.ip !== q.ip || p.port !== q.port) return false;
  }
  const subs = new Set(a.subscriptions);
  return b.subscriptions.every((s) => subs.has(s));
}

/**
 * One state of a watched group: the same JSON a push notification of this change carries
 * (profile-aware), and the group's revision. `data` is built once per change and shared by
 * every watcher: never mutate it.
 */
export interface WatchEvent {
  group: string;
  revision: number;
  eventType: EventType;
  /** The notification payload, serialized (one line of JSON). */
  data: Buffer;
}

/** Receives the changes of the groups it watches, in revision order. Must not throw. */
export type WatchListener = (event: WatchEvent) => void;
