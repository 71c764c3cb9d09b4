import type { ManagerEvents } from '../manager/events';
import type { Manager } from '../manager/manager';

/** One line of the status page's recent events. */
export interface RecentEvent {
  at: Date;
  kind: 'registered' | 'unregistered' | 'deregistered' | 'status' | 'delivery-failed' | 'error';
  text: string;
  /** True for events an operator should look at (unhealthy, failed deliveries, errors). */
  bad: boolean;
}

/** Delivery health of one subscriber, as the status page shows it. */
export interface SubscriberHealth {
  subscriberKey: string;
  url: string;
  delivered: number;
  failed: number;
  lastAt: Date;
  lastOk: boolean;
  lastDurationMs: number;
  lastError?: string;
}

/** The manager events {@link EventLog} listens to. */
export type EventSource = Pick<Manager, 'on' | 'off'>;

/**
 * Keeps what the status page shows that `stats()` does not: the last `capacity` events and the
 * delivery health of up to `maxSubscribers` subscribers (the least recently heard of is dropped).
 */
export class EventLog {
  readonly #events: RecentEvent[] = [];
  readonly #subscribers = new Map<string, SubscriberHealth>();
  readonly #capacity: number;
  readonly #maxSubscribers: number;
  readonly #source: EventSource;
  readonly #listeners: { [E in keyof ManagerEvents]?: ManagerEvents[E] };

  constructor(source: EventSource, options: { capacity: number; maxSubscribers: number }) {
    this.#source = source;
    this.#capacity = options.capacity;
    this.#maxSubscribers = options.maxSubscribers;
    this.#listeners = {
      registered: (s, outcome) => {
        if (outcome !== 'unchanged') this.#add('registered', `${s.serviceName}:${s.podName} ${outcome}`, false);
      },
      unregistered: (s) => this.#add('unregistered', `${s.serviceName}:${s.podName} unregistered`, false),
      deregistered: (s, { unhealthyForMs }) =>
        this.#add('deregistered', `${s.serviceName}:${s.podName} removed after ${Math.round(unhealthyForMs / 1000)} s unhealthy`, true),
      statusChanged: (s, previous) =>
        this.#add('status', `${s.serviceName}:${s.podName} ${previous} → ${s.status}`, s.status === 'unhealthy'),
      notificationDelivered: (d) => this.#delivery(d.subscriberKey, d.url, true, d.durationMs),
      notificationFailed: (f) => {
        this.#delivery(f.subscriberKey, f.url, false, f.durationMs, f.error.message);
        this.#add('delivery-failed', `notification of ${f.group} to ${f.subscriberKey} failed: ${f.error.message}`, true);
      },
      error: (error) => this.#add('error', error.message, true),
    };
    const on = source.on.bind(source) as (event: string, listener: (...args: never[]) => void) => unknown;
    for (const [event, listener] of Object.entries(this.#listeners)) on(event, listener as (...args: never[]) => void);
  }

  /** The recent events, newest first. */
  recent(): readonly RecentEvent[] {
    return this.#events.slice().reverse();
  }

  /** Subscribers with failures first, then by key. */
  subscribers(): SubscriberHealth[] {
    return [...this.#subscribers.values()].sort(
      (a, b) => Number(a.lastOk) - Number(b.lastOk) || (a.subscriberKey < b.subscriberKey ? -1 : 1),
    );
  }

  close(): void {
    const off = this.#source.off.bind(this.#source) as (event: string, listener: (...args: never[]) => void) => unknown;
    for (const [event, listener] of Object.entries(this.#listeners)) off(event, listener as (...args: never[]) => void);
  }

  #add(kind: RecentEvent['kind'], text: string, bad: boolean): void {
    this.#events.push({ at: new Date(), kind, text, bad });
    if (this.#events.length > this.#capacity) this.#events.splice(0, this.#events.length - this.#capacity);
  }

  #delivery(subscriberKey: string, url: string, ok: boolean, durationMs: number, error?: string): void {
    const entry = this.#subscribers.get(subscriberKey) ?? {
      subscriberKey,
      url,
      delivered: 0,
      failed: 0,
      lastAt: new Date(),
      lastOk: ok,
      lastDurationMs: 0,
    };
    this.#subscribers.delete(subscriberKey);
    if (ok) entry.delivered++;
    else entry.failed++;
    entry.url = url;
    entry.lastAt = new Date();
    entry.lastOk = ok;
    entry.lastDurationMs = durationMs;
    if (error !== undefined) entry.lastError = error;
    this.#subscribers.set(subscriberKey, entry);
    if (this.#subscribers.size > this.#maxSubscribers) {
      const oldest = this.#subscribers.keys().next().value;
      if (oldest !== undefined) this.#subscribers.delete(oldest);
    }
  }
}
