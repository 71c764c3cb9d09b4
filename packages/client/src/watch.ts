import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { GovernanceClientError, UnauthorizedError } from './errors.js';
import { backoffDelay, parseRetryAfter, sleep, type BackoffOptions } from './retry.js';
import { parseNotificationPayload, type EventType, type NotificationPayload } from './wire.js';

/** One state of a watched service group, from `GovernanceClient.watch`. */
export interface WatchEvent {
  serviceName: string;
  /** The group's revision (the SSE `id`); grows with every change. */
  revision: number;
  /** `reconcile` for the state sent on (re)connect, otherwise the change's event type. */
  eventType: EventType;
  /** The same payload a push notification carries (with `revision` filled in from the id for a Go-profile manager). */
  payload: NotificationPayload;
}

/** Options of `GovernanceClient.watch`. */
export interface WatchOptions {
  /** Stops watching: the iterator ends (no error). */
  signal?: AbortSignal;
  /** Resume after this revision (an earlier event's `revision`). Default: start with the current state. */
  lastEventId?: number;
  /** Backoff between reconnections (jittered exponential). Default: the manager's `retry:` hint (2 s) doubling up to 30 s. */
  backoff?: BackoffOptions;
  /** Reconnect when nothing (not even a keep-alive comment) arrived for this long, in ms. Default 45 000. */
  idleTimeoutMs?: number;
  /** Told about every lost connection before the client reconnects. */
  onReconnect?: (error: unknown, attempt: number) => void;
}

/** What the watch loop needs from a `GovernanceClient`. */
export interface WatchTarget {
  managerUrl: string;
  headers: Record<string, string>;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * Watches service groups over `GET /watch` (Server-Sent Events) and yields every state in order,
 * reconnecting with `Last-Event-ID` after a lost connection (with backoff), so no change is
 * missed: on reconnect the manager resends each group that changed since the last id seen.
 * A 400/401/403/404/501 answer ends the iteration with an error; abort `signal` to stop.
 */
export async function* watchServices(
  target: WatchTarget,
  services: readonly string[],
  options: WatchOptions = {},
): AsyncGenerator<WatchEvent, void, undefined> {
  if (!Array.isArray(services) || services.length === 0 || services.some((s) => typeof s !== 'string' || s === '')) {
    throw new GovernanceClientError('[client] watch: services must be a non-empty array of service names', { code: 'INVALID_OPTIONS' });
  }
  const { signal } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const query = new URLSearchParams(services.map((s): [string, string] => ['service', s]));
  const url = `${target.managerUrl}/watch?${query.toString()}`;
  let lastEventId = options.lastEventId;
  let serverRetryMs = 2_000;
  let failures = 0;
  while (!signal?.aborted) {
    const connection = new AbortController();
    const stop = (): void => connection.abort();
    signal?.addEventListener('abort', stop, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
      idle.unref?.();
    };
    let retryAfterMs: number | undefined;
    try {
      touch();
      const headers: Record<string, string> = { ...target.headers, accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
      const response = await fetch(url, { headers, signal: connection.signal });
      if (response.status !== 200 || response.body === null) {
        const text = await response.text().catch(() => '');
        const says = errorText(text) ?? `HTTP ${response.status}`;
        if (!RETRYABLE.has(response.status)) {
          if (response.status === 401 || response.status === 403) {
            throw new UnauthorizedError(`[client] manager refused GET /watch (${response.status}): ${says}; check the client's token`, response.status as 401 | 403);
          }
          throw new GovernanceClientError(`[client] GET /watch answered ${response.status}: ${says}`, { status: response.status });
        }
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        throw new Error(`GET /watch answered ${response.status}: ${says}`);
      }
      const queue: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (message) => queue.push(message),
        onRetry: (ms) => (serverRetryMs = ms),
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body) {
        touch();
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
        while (queue.length > 0) {
          const event = toWatchEvent(queue.shift()!);
          if (event === undefined) continue;
          lastEventId = event.revision;
          failures = 0;
          yield event;
        }
      }
      throw new Error('the manager closed the stream');
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof GovernanceClientError) throw error;
      failures++;
      try {
        options.onReconnect?.(error, failures);
      } catch {
        // a throwing callback must not stop the watch
      }
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', stop);
      connection.abort();
    }
    const backoff = { initialDelayMs: serverRetryMs, maxDelayMs: 30_000, ...options.backoff };
    const delay = Math.max(retryAfterMs ?? 0, failures <= 1 ? backoff.initialDelayMs / 2 : backoffDelay(failures - 1, backoff));
    try {
      await sleep(delay, signal);
    } catch {
      return;
    }
  }
}

function toWatchEvent(message: EventSourceMessage): WatchEvent | undefined {
  const revision = message.id !== undefined && /^\d{1,16}$/.test(message.id) ? Number(message.id) : undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  const checked = parseNotificationPayload(raw);
  if (!checked.ok || revision === undefined) return undefined;
  const payload = checked.payload;
  payload.revision ??= revision;
  return { serviceName: payload.service_name, revision, eventType: payload.event_type, payload };
}

function errorText(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return text.slice(0, 200) || undefined;
  }
}
