import type http from 'node:http';
import type { ManagerConfigInput, NotificationPayload, ServiceRegistration } from '@governance/core';
import { startStubServer, type StubReply, type StubRequest, type StubServer } from '../../../../test/support/stub-server';
import { waitFor } from '../../../../test/support/wait';

/** One notification as a subscriber received it. */
export interface RawDelivery {
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** How a pod's /health endpoint answers: 200, 503, or never. */
export type HealthMode = 'up' | 'down' | 'hang';

/**
 * One stub HTTP server (test/support/stub-server) standing in for a fleet of pods:
 * `GET /health/<pod>` answers per the pod's mode (default up), and
 * `POST /notify/<pod>` records the JSON payload (or answers 503 while `failNext` lasts).
 */
export class Fleet {
  readonly base: string;
  readonly #stub: StubServer;
  readonly #health = new Map<string, HealthMode>();
  readonly #inbox = new Map<string, NotificationPayload[]>();
  readonly #raw = new Map<string, RawDelivery[]>();
  readonly #failures = new Map<string, number>();
  #held: Promise<void> | undefined;
  /** Delay before answering each notification POST, in ms (a slow subscriber). */
  notifyDelayMs = 0;
  healthRequests = 0;
  notifyRequests = 0;

  private constructor(stub: StubServer) {
    this.#stub = stub;
    this.base = stub.url;
  }

  static async start(): Promise<Fleet> {
    let fleet: Fleet | undefined;
    const stub = await startStubServer((request) => fleet!.#answer(request));
    fleet = new Fleet(stub);
    return fleet;
  }

  healthUrl(pod: string): string {
    return `${this.base}/health/${encodeURIComponent(pod)}`;
  }

  notifyUrl(pod: string): string {
    return `${this.base}/notify/${encodeURIComponent(pod)}`;
  }

  setHealth(pod: string, mode: HealthMode): void {
    this.#health.set(pod, mode);
  }

  /** The next `count` notifications to `pod` are answered 503. */
  failNext(pod: string, count: number): void {
    this.#failures.set(pod, count);
  }

  /**
   * Holds the answer to every notification POST (received and counted, not yet answered) until
   * the returned function is called.
   */
  holdNotifications(): () => void {
    let release!: () => void;
    this.#held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  received(pod: string): NotificationPayload[] {
    return this.#inbox.get(pod) ?? [];
  }

  /** The accepted notifications to `pod` as they arrived: the body text and the request headers. */
  deliveries(pod: string): RawDelivery[] {
    return this.#raw.get(pod) ?? [];
  }

  last(pod: string): NotificationPayload | undefined {
    const list = this.received(pod);
    return list[list.length - 1];
  }

  close(): Promise<void> {
    return this.#stub.close();
  }

  async #answer(request: StubRequest): Promise<StubReply> {
    const [, kind, raw] = request.path.split('/');
    const pod = decodeURIComponent(raw ?? '');
    if (kind === 'health' && request.method === 'GET') {
      this.healthRequests++;
      const mode = this.#health.get(pod) ?? 'up';
      return mode === 'hang' ? 'hang' : { status: mode === 'up' ? 200 : 503, body: mode };
    }
    if (kind === 'notify' && request.method === 'POST') {
      this.notifyRequests++;
      if (this.#held !== undefined) await this.#held;
      if (this.notifyDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.notifyDelayMs));
      const failures = this.#failures.get(pod) ?? 0;
      if (failures > 0) {
        this.#failures.set(pod, failures - 1);
        return 503;
      }
      this.#inbox.set(pod, [...this.received(pod), JSON.parse(request.text) as NotificationPayload]);
      this.#raw.set(pod, [...this.deliveries(pod), { body: request.text, headers: request.headers }]);
      return { status: 204 };
    }
    return 404;
  }
}

/** A registration whose health and notification URLs point at the fleet. */
export function podRegistration(
  fleet: Fleet,
  serviceName: string,
  podName: string,
  subscriptions: string[] = [],
  port = 8080,
): ServiceRegistration {
  return {
    serviceName,
    podName,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port }],
    healthCheckUrl: fleet.healthUrl(podName),
    notificationUrl: fleet.notifyUrl(podName),
    subscriptions,
  };
}

/** Short intervals so the engine acts within a test's lifetime. */
export const FAST: ManagerConfigInput = {
  healthCheckInterval: 100,
  healthCheckTimeout: 2_000,
  healthCheckRetry: 0,
  notificationInterval: 60_000,
  notificationTimeout: 2_000,
  notificationRetries: 3,
  stopTimeout: 1_000,
};

export { waitFor };

/** Waits until the manager's delivery pool has nothing waiting, backing off or in flight. */
export function deliveriesSettled(manager: { stats(): { deliveries: { pending: number; inFlight: number } } }): Promise<void> {
  return waitFor(() => {
    const { pending, inFlight } = manager.stats().deliveries;
    return pending === 0 && inFlight === 0;
  }, 'the deliveries to settle');
}

/** A promise with its resolve function exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
