import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ManagerConfigInput, NotificationPayload, ServiceRegistration } from '@governance/core';

/** One notification as a subscriber received it. */
export interface RawDelivery {
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** How a pod's /health endpoint answers: 200, 503, or never. */
export type HealthMode = 'up' | 'down' | 'hang';

/**
 * One real HTTP server on 127.0.0.1 standing in for a fleet of pods:
 * `GET /health/<pod>` answers per the pod's mode (default up), and
 * `POST /notify/<pod>` records the JSON payload (or answers 503 while `failNext` lasts).
 */
export class Fleet {
  readonly server: http.Server;
  base = '';
  readonly #health = new Map<string, HealthMode>();
  readonly #inbox = new Map<string, NotificationPayload[]>();
  readonly #raw = new Map<string, RawDelivery[]>();
  readonly #failures = new Map<string, number>();
  readonly #hanging = new Set<http.ServerResponse>();
  /** Delay before answering each notification POST, in ms (a slow subscriber). */
  notifyDelayMs = 0;
  healthRequests = 0;
  notifyRequests = 0;

  private constructor() {
    this.server = http.createServer((req, res) => this.#handle(req, res));
  }

  static async start(): Promise<Fleet> {
    const fleet = new Fleet();
    await new Promise<void>((resolve) => fleet.server.listen(0, '127.0.0.1', resolve));
    fleet.base = `http://127.0.0.1:${(fleet.server.address() as AddressInfo).port}`;
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

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const [, kind, raw] = (req.url ?? '').split('/');
    const pod = decodeURIComponent(raw ?? '');
    if (kind === 'health' && req.method === 'GET') {
      this.healthRequests++;
      const mode = this.#health.get(pod) ?? 'up';
      if (mode === 'hang') {
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
        return;
      }
      res.writeHead(mode === 'up' ? 200 : 503).end(mode);
      return;
    }
    if (kind === 'notify' && req.method === 'POST') {
      this.notifyRequests++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.notifyDelayMs > 0) {
          const timer = setTimeout(() => this.#answerNotify(pod, chunks, req.headers, res), this.notifyDelayMs);
          res.on('close', () => clearTimeout(timer));
          return;
        }
        this.#answerNotify(pod, chunks, req.headers, res);
      });
      return;
    }
    res.writeHead(404).end();
  }

  #answerNotify(pod: string, chunks: Buffer[], headers: http.IncomingHttpHeaders, res: http.ServerResponse): void {
    const failures = this.#failures.get(pod) ?? 0;
    if (failures > 0) {
      this.#failures.set(pod, failures - 1);
      res.writeHead(503).end();
      return;
    }
    const list = this.#inbox.get(pod) ?? [];
    const body = Buffer.concat(chunks).toString('utf8');
    list.push(JSON.parse(body) as NotificationPayload);
    this.#inbox.set(pod, list);
    this.#raw.set(pod, [...this.deliveries(pod), { body, headers }]);
    res.writeHead(204).end();
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

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
