import { Readable } from 'node:stream';
import type { FieldError } from '../errors';
import type { WatchEvent } from '../model';
import type { ApiToken } from '../security/api-tokens';
import { nameProblem } from '../validation';
import type { GovernanceHandlerManager, GovernanceRequest, WatchOptions } from './handler-types';

/** Defaults of the pull-mode routes (`GovernanceHandlerOptions.watch`). */
export const DEFAULT_WATCH_OPTIONS: Readonly<Required<WatchOptions>> = Object.freeze({
  heartbeatMs: 15_000,
  retryMs: 2_000,
  maxStreamsPerToken: 100,
  maxServicesPerStream: 256,
  maxWaitMs: 10 * 60_000,
  defaultWaitMs: 5 * 60_000,
});

/** Fills in the defaults of the pull-mode settings. @throws TypeError naming the bad setting. */
export function resolveWatchOptions(input: WatchOptions | undefined): Readonly<Required<WatchOptions>> {
  const out = { ...DEFAULT_WATCH_OPTIONS };
  for (const [name, value] of Object.entries(input ?? {})) {
    if (!(name in DEFAULT_WATCH_OPTIONS)) throw new TypeError(`[core] watch.${name} is not a setting; use one of ${Object.keys(DEFAULT_WATCH_OPTIONS).join(', ')}`);
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 1) throw new TypeError(`[core] watch.${name} must be a whole number of 1 or more, got ${String(value)}`);
    (out as Record<string, number>)[name] = value as number;
  }
  return Object.freeze(out);
}

/** Header carrying a group's revision on `GET /services/:name` (Consul's `X-Consul-Index`). */
export const INDEX_HEADER = 'x-governance-index';

/** Response headers of `GET /watch`. */
export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-store, no-transform',
  'x-accel-buffering': 'no',
});

const STREAM_HIGH_WATER_MARK = 16 * 1024;
const frames = new WeakMap<WatchEvent, Buffer>();

/** The SSE frame of an event, built once per event and shared by every stream that sends it. */
function frameOf(event: WatchEvent): Buffer {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = Buffer.concat([Buffer.from(`id: ${event.revision}\ndata: `), event.data, Buffer.from('\n\n')]);
    frames.set(event, frame);
  }
  return frame;
}

/**
 * One `GET /watch` response body: a readable stream of SSE frames fed by a manager watcher.
 *
 * Backpressure by coalescing: the stream keeps at most one pending state per group (a newer
 * state replaces an unsent older one, as push supersession does) and turns pending states into
 * frames only when the reader asks for more (`_read`). A reader that never reads therefore holds
 * at most the stream's 16 KiB buffer, one frame, and one shared payload reference per watched
 * group — however many changes happen. Frames go out in revision order (a replaced state moves
 * to the end, and revisions only grow), so the last `id:` a client saw is a safe resume point.
 */
export class SseStream extends Readable {
  readonly #pending = new Map<string, WatchEvent>();
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #wanted = false;
  #unwatch: (() => void) | undefined;

  constructor(heartbeatMs: number, retryMs: number) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.push(`retry: ${retryMs}\n\n`);
    this.#heartbeat = setInterval(() => {
      if (this.#wanted && this.#pending.size === 0) this.#wanted = this.push(': keep-alive\n\n');
    }, heartbeatMs);
    this.#heartbeat.unref?.();
  }

  /** States waiting to be framed (at most one per watched group). */
  get pendingGroups(): number {
    return this.#pending.size;
  }

  /** Sets the function that removes the stream's watcher (called when the stream is destroyed). */
  attach(unwatch: () => void): void {
    if (this.destroyed) unwatch();
    else this.#unwatch = unwatch;
  }

  /** The watcher's listener: records the group's latest state. */
  readonly offer = (event: WatchEvent): void => {
    if (this.destroyed) return;
    this.#pending.delete(event.group);
    this.#pending.set(event.group, event);
    if (this.#wanted) this.#flush();
  };

  /** Ends the stream (the manager stops); the client reconnects and resumes from its last id. */
  finish(): void {
    if (this.destroyed || this.readableEnded) return;
    this.#pending.clear();
    clearInterval(this.#heartbeat);
    this.push(null);
  }

  override _read(): void {
    this.#wanted = true;
    this.#flush();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearInterval(this.#heartbeat);
    this.#pending.clear();
    this.#unwatch?.();
    this.#unwatch = undefined;
    callback(error);
  }

  #flush(): void {
    for (const [group, event] of this.#pending) {
      this.#pending.delete(group);
      this.#wanted = this.push(frameOf(event));
      if (!this.#wanted) return;
    }
  }
}

/** Counts the watchers (streams and blocking queries) of each token, for `maxStreamsPerToken`. */
export class TokenWatchCounts {
  readonly #counts = new Map<ApiToken, number>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Takes one slot for `token`; returns the release function, or `undefined` when the token is at its limit. */
  take(token: ApiToken | undefined): (() => void) | undefined {
    if (token === undefined) return () => undefined;
    const count = this.#counts.get(token) ?? 0;
    if (count >= this.#limit) return undefined;
    this.#counts.set(token, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(token) ?? 1) - 1;
      if (left <= 0) this.#counts.delete(token);
      else this.#counts.set(token, left);
    };
  }
}

/** The parsed query of `GET /watch`. */
export interface WatchQuery {
  services: string[];
  /** From `Last-Event-ID` (or `last_event_id`): resume from this revision. */
  after: number | undefined;
}

/** Parses `GET /watch?service=a&service=b` and the resume point; field errors name the parameter. */
export function parseWatchQuery(request: GovernanceRequest, maxServices: number, errors: FieldError[]): WatchQuery {
  const services = request.query.getAll('service');
  if (services.length === 0) errors.push({ path: 'service', message: 'is required (repeat it to watch several services)' });
  if (services.length > maxServices) errors.push({ path: 'service', message: `must be given at most ${maxServices} times` });
  for (const [i, name] of services.entries()) {
    const problem = nameProblem(name);
    if (problem) errors.push({ path: `service[${i}]`, message: problem });
  }
  const header = request.headers['last-event-id'];
  const raw = typeof header === 'string' && header !== '' ? header : (request.query.get('last_event_id') ?? undefined);
  const name = typeof header === 'string' && header !== '' ? 'Last-Event-ID' : 'last_event_id';
  let after: number | undefined;
  if (raw !== undefined) {
    after = parseRevision(raw);
    if (after === undefined) errors.push({ path: name, message: 'must be a revision (a whole number) from an earlier event id' });
  }
  return { services, after };
}

/** Parses a blocking query's `index` and `wait`; `undefined` when the request does not block. */
export function parseBlockingQuery(
  query: URLSearchParams,
  options: Readonly<Required<WatchOptions>>,
  errors: FieldError[],
): { index: number; waitMs: number } | undefined {
  const rawIndex = query.get('index');
  const rawWait = query.get('wait');
  if (rawIndex === null) {
    if (rawWait !== null) errors.push({ path: 'wait', message: 'needs index (the revision from the x-governance-index header)' });
    return undefined;
  }
  const index = parseRevision(rawIndex);
  if (index === undefined) errors.push({ path: 'index', message: 'must be a whole number (the x-governance-index of an earlier answer)' });
  let waitMs = options.defaultWaitMs;
  if (rawWait !== null) {
    const parsed = parseDuration(rawWait);
    if (parsed === undefined) errors.push({ path: 'wait', message: 'must be a duration such as 30s, 5m or 500ms' });
    else waitMs = Math.min(parsed, options.maxWaitMs);
  }
  return index === undefined ? undefined : { index, waitMs };
}

/**
 * Holds a blocking query until `group`'s revision is past `index`, `waitMs` (plus up to 1/16
 * of it, at random, so clients that started together do not come back together) has passed,
 * the client went away, or the manager stops.
 */
export function waitForChange(
  manager: Required<Pick<GovernanceHandlerManager, 'watch' | 'revisionOf'>>,
  group: string,
  index: number,
  waitMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (manager.revisionOf(group) > index || waitMs <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let remove: (() => void) | undefined;
    const done = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      remove?.();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs + Math.floor(Math.random() * (waitMs / 16)));
    try {
      remove = manager.watch([group], (event) => event.revision > index && done(), { initial: false, onEnd: done });
    } catch (error) {
      settled = true;
      clearTimeout(timer);
      reject(error);
      return;
    }
    if (settled) remove();
    signal?.addEventListener('abort', done, { once: true });
  });
}

function parseRevision(raw: string): number | undefined {
  if (!/^\d{1,16}$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** Consul-style durations: `30s`, `5m`, `250ms`, `1.5s`; a bare number means seconds. */
export function parseDuration(raw: string): number | undefined {
  const match = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!);
}
