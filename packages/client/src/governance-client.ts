import {
  GovernanceClientError,
  ManagerUnavailableError,
  NotFoundError,
  RegistrationRejectedError,
  UnauthorizedError,
} from './errors.js';
import { TransientFailure, parseRetryAfter, withRetries, type BackoffOptions } from './retry.js';
import {
  errorMessageFrom,
  fieldErrorsFrom,
  fromServiceWire,
  toRegistrationWire,
  type RegisteredService,
  type RegistrationInput,
  type ServiceRegistration,
} from './wire.js';
import { watchServices, type WatchEvent, type WatchOptions } from './watch.js';

/** How a `GovernanceClient` reaches its manager. */
export interface GovernanceClientOptions {
  /** Base URL of the manager's routes, e.g. `http://127.0.0.1:8080` or `https://host/gov`. */
  managerUrl: string;
  /** This pod's service name; the default for `register` and the target of `unregister`. */
  serviceName: string;
  /** This pod's name; the default for `register` and the target of `unregister`. */
  podName: string;
  /** Time limit of each attempt (connect, answer and body), in ms. Default 5000. */
  timeoutMs?: number;
  /** Retries after a transient failure (network error, timeout, 429, 502, 503, 504). Default 3. */
  retries?: number;
  /** Backoff between retries (jittered exponential). Default 200 ms doubling up to 5 s. */
  backoff?: BackoffOptions;
  /** Largest `Retry-After` the client waits for, in ms; longer hints are cut. Default 30000. */
  maxRetryAfterMs?: number;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token?: string;
  /** Extra headers sent on every request. */
  headers?: Record<string, string>;
}

/**
 * What the manager did with a registration: `created` (201), `updated` or `unchanged` (200,
 * told apart by the manager's `x-governance-outcome` header), or `accepted` when the answer does
 * not say (a Go manager answers 202 before it has applied anything).
 */
export type RegistrationOutcome = 'created' | 'updated' | 'unchanged' | 'accepted';

/** The manager's answer to `GovernanceClient.register`. */
export interface RegistrationResult {
  outcome: RegistrationOutcome;
  /** The pod as the manager stored it (camelCase); `undefined` when the answer carries none (the Go manager). */
  service: RegisteredService | undefined;
  /** The HTTP status of the answer: 201, 200, or 202 from a Go manager. */
  status: number;
}

/** Cancellation for one call; aborting rejects the call with the signal's reason. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of `GovernanceClient.keepRegistered`. */
export interface KeepRegisteredOptions {
  /** Time between registrations, in ms. Default 30000. */
  intervalMs?: number;
  /** Called with every failed registration (after that registration's own retries). */
  onError?: (error: unknown) => void;
  /** Called after every successful registration with the manager's answer (`outcome: 'created'` means the manager had lost the pod). */
  onRegistered?: (result: RegistrationResult) => void;
  /**
   * A registration with a `ttl`: time between heartbeats, in ms. Default a third of the ttl the
   * manager reports (or of a numeric `ttl`), so two heartbeats may be lost before the ttl runs out.
   */
  heartbeatIntervalMs?: number;
}

/** A running `keepRegistered` loop. */
export interface KeepRegisteredHandle {
  /** Stops the loop and cancels a registration in flight. Does not unregister. */
  stop(): void;
}

const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);
const OUTCOMES: ReadonlySet<string> = new Set<RegistrationOutcome>(['created', 'updated', 'unchanged']);

/** A 2xx answer: its status, the `x-governance-outcome` header and the parsed JSON body. */
interface Answer {
  status: number;
  outcome: string | null;
  body: unknown;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new GovernanceClientError(`[client] option ${name} must be an integer >= ${min}, got ${String(value)}`, {
      code: 'INVALID_OPTIONS',
    });
  }
  return value;
}

function requiredName(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new GovernanceClientError(`[client] option ${name} must be a non-empty string`, { code: 'INVALID_OPTIONS' });
  }
  return value;
}

/**
 * Talks to a governance manager over its HTTP API (wire-compatible with the Go manager):
 * registers and unregisters pods and lists services. Every attempt has a time limit;
 * transient failures are retried with jittered exponential backoff, honouring `Retry-After`;
 * other failures throw a typed `GovernanceClientError` at once.
 *
 * ```ts
 * const client = new GovernanceClient({ managerUrl: 'http://127.0.0.1:8080', serviceName: 'eir', podName: 'eir-1' });
 * await client.register({ providers: [{ protocol: 'http', ip: '10.0.0.3', port: 8080 }],
 *   healthCheckUrl: 'http://10.0.0.3:8080/health', notificationUrl: 'http://10.0.0.3:8080/notify' });
 * ```
 */
export class GovernanceClient {
  readonly managerUrl: string;
  readonly serviceName: string;
  readonly podName: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly #backoff: BackoffOptions;
  readonly #maxRetryAfterMs: number;
  readonly #headers: Record<string, string>;

  constructor(options: GovernanceClientOptions) {
    let base: URL;
    try {
      base = new URL(options.managerUrl);
    } catch {
      base = new URL('invalid:');
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new GovernanceClientError(
        `[client] option managerUrl must be an http(s) URL such as http://127.0.0.1:8080, got ${JSON.stringify(options.managerUrl)}`,
        { code: 'INVALID_OPTIONS' },
      );
    }
    this.managerUrl = base.href.replace(/\/+$/, '');
    this.serviceName = requiredName('serviceName', options.serviceName);
    this.podName = requiredName('podName', options.podName);
    this.timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, 5000, 1);
    this.retries = positiveInteger('retries', options.retries, 3, 0);
    this.#backoff = { ...options.backoff };
    this.#maxRetryAfterMs = positiveInteger('maxRetryAfterMs', options.maxRetryAfterMs, 30_000, 0);
    this.#headers = { accept: 'application/json', ...options.headers };
    if (options.token !== undefined) this.#headers.authorization = `Bearer ${options.token}`;
  }

  /**
   * Registers (or re-registers) a pod: `POST /register`. `serviceName` and `podName` default
   * to the client's. Resolves once the manager has accepted it (any 2xx) with its answer:
   * whether the pod was `created`, `updated` or left `unchanged`, and the pod as stored.
   * @throws RegistrationRejectedError (400, with the manager's field errors), UnauthorizedError,
   *   ManagerUnavailableError after the retries, GovernanceClientError for other answers.
   */
  async register(registration: RegistrationInput, options?: CallOptions): Promise<RegistrationResult> {
    const full: ServiceRegistration = {
      ...registration,
      serviceName: registration.serviceName ?? this.serviceName,
      podName: registration.podName ?? this.podName,
      subscriptions: registration.subscriptions ?? [],
    };
    const answer = await this.#request('POST', '/register', toRegistrationWire(full), options);
    const outcome: RegistrationOutcome =
      answer.outcome !== null && OUTCOMES.has(answer.outcome)
        ? (answer.outcome as RegistrationOutcome)
        : answer.status === 201
          ? 'created'
          : 'accepted';
    const stored = typeof answer.body === 'object' && answer.body !== null && 'service_name' in answer.body;
    return { outcome, service: stored ? fromServiceWire(answer.body) : undefined, status: answer.status };
  }

  /** Unregisters this client's own pod. @throws NotFoundError when the manager does not know it. */
  async unregister(options?: CallOptions): Promise<void> {
    await this.unregisterService(this.serviceName, this.podName, options);
  }

  /**
   * Unregisters any pod: `DELETE /unregister?service_name=&pod_name=`.
   * @throws NotFoundError when the manager does not know the pod.
   */
  async unregisterService(serviceName: string, podName: string, options?: CallOptions): Promise<void> {
    const query = new URLSearchParams({ service_name: serviceName, pod_name: podName });
    await this.#request('DELETE', `/unregister?${query.toString()}`, undefined, options);
  }

  /** Lists every registered pod: `GET /services`, converted to camelCase. */
  async listServices(options?: CallOptions): Promise<RegisteredService[]> {
    const { body } = await this.#request('GET', '/services', undefined, options);
    const services = (body as { services?: unknown } | undefined)?.services;
    return Array.isArray(services) ? services.map(fromServiceWire) : [];
  }

  /**
   * Watches service groups (pull mode: `GET /watch`, Server-Sent Events) as an async iterator:
   * first the current state of each group, then every change, each the same payload a push
   * notification carries. Reconnects on its own after a lost connection (backoff, resuming
   * from the last revision seen, so no change is missed); abort `signal` to end it. No
   * notification endpoint is needed on this side.
   *
   * ```ts
   * for await (const event of client.watch(['eir'], { signal })) console.log(event.serviceName, event.payload.pods);
   * ```
   * @throws UnauthorizedError, GovernanceClientError for answers a retry cannot fix (400, 404, 501).
   */
  watch(services: readonly string[], options?: WatchOptions): AsyncGenerator<WatchEvent, void, undefined> {
    const { accept: _accept, ...headers } = this.#headers;
    return watchServices({ managerUrl: this.managerUrl, headers }, services, options);
  }

  /**
   * A heartbeat of this client's own pod (`PUT /heartbeat`), for a pod registered with a `ttl`.
   * @throws NotFoundError when the manager does not know the pod (register it again),
   *   GovernanceClientError (409) when the pod was registered without a ttl.
   */
  async heartbeat(options?: CallOptions): Promise<void> {
    const query = new URLSearchParams({ service_name: this.serviceName, pod_name: this.podName });
    await this.#request('PUT', `/heartbeat?${query.toString()}`, undefined, options);
  }

  /**
   * Registers now and then every `intervalMs` (±10 % jitter), so the pod reappears after the manager lost it
   * (a restart on a memory store). Re-registering unchanged content is a no-op on the manager.
   * With a `ttl` it also sends a heartbeat every `heartbeatIntervalMs`, and registers again at
   * once when a heartbeat finds the pod unknown to the manager.
   * Timers are unref'd: the loop never keeps the process alive. Failures go to `onError`.
   */
  keepRegistered(registration: RegistrationInput, options: KeepRegisteredOptions = {}): KeepRegisteredHandle {
    const intervalMs = positiveInteger('intervalMs', options.intervalMs, 30_000, 1);
    const fixedBeatMs =
      options.heartbeatIntervalMs === undefined ? undefined : positiveInteger('heartbeatIntervalMs', options.heartbeatIntervalMs, 0, 1);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let beatTimer: NodeJS.Timeout | undefined;
    let ttlMs = typeof registration.ttl === 'number' ? registration.ttl : undefined;
    const report = (fn: (() => void) | undefined) => {
      try {
        fn?.();
      } catch {
        // a throwing callback must not stop the loop
      }
    };
    /** True while a heartbeat is scheduled or in flight: one heartbeat loop at a time. */
    let beating = false;
    const beat = async () => {
      beating = true;
      beatTimer = undefined;
      try {
        await this.heartbeat({ signal: controller.signal });
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof NotFoundError) {
          beating = false;
          if (timer) clearTimeout(timer);
          return void tick(); // the manager lost the pod: register again (which restarts the heartbeats)
        }
        report(() => options.onError?.(error));
      }
      if (controller.signal.aborted) return;
      const every = fixedBeatMs ?? Math.max(100, Math.floor((ttlMs ?? 15_000) / 3));
      beatTimer = setTimeout(() => void beat(), every);
      beatTimer.unref();
    };
    const tick = async () => {
      timer = undefined;
      try {
        const result = await this.register(registration, { signal: controller.signal });
        if (result.service?.ttl !== undefined) ttlMs = result.service.ttl;
        report(() => options.onRegistered?.(result));
        if (registration.ttl !== undefined && !beating) void beat();
      } catch (error) {
        if (controller.signal.aborted) return;
        report(() => options.onError?.(error));
      }
      if (controller.signal.aborted) return;
      timer = setTimeout(() => void tick(), intervalMs * (0.9 + Math.random() * 0.2));
      timer.unref();
    };
    void tick();
    return {
      stop: () => {
        controller.abort(new GovernanceClientError('[client] keepRegistered was stopped'));
        if (timer) clearTimeout(timer);
        if (beatTimer) clearTimeout(beatTimer);
      },
    };
  }

  async #request(method: string, path: string, body: unknown, options?: CallOptions): Promise<Answer> {
    const url = `${this.managerUrl}${path}`;
    const what = `${method} ${path.split('?')[0]}`;
    const signal = options?.signal;
    signal?.throwIfAborted();
    return withRetries(() => this.#attempt(method, url, what, body, signal), {
      retries: this.retries,
      backoff: this.#backoff,
      maxRetryAfterMs: this.#maxRetryAfterMs,
      signal,
      giveUp: (last, attempts) =>
        new ManagerUnavailableError(
          `[client] manager at ${this.managerUrl} unavailable after ${attempts} attempt(s): ${last.message}; ` +
            'check managerUrl and that the manager is running',
          attempts,
          { status: last.status, cause: last },
        ),
    });
  }

  async #attempt(
    method: string,
    url: string,
    what: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { ...this.#headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    let retryAfter: string | null;
    let outcome: string | null;
    try {
      const response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: combined,
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      outcome = response.headers.get('x-governance-outcome');
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new TransientFailure(`${what} timed out after ${this.timeoutMs} ms`, { cause: error });
      }
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new TransientFailure(`${what} failed: ${reason}`, { cause: error });
    }

    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) return { status, outcome, body: parsed };

    const managerSays = errorMessageFrom(parsed) ?? (text.slice(0, 200) || `HTTP ${status}`);
    if (TRANSIENT_STATUSES.has(status)) {
      const retryAfterMs = parseRetryAfter(retryAfter);
      throw new TransientFailure(`${what} answered ${status}: ${managerSays}`, {
        status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    if (status === 400) {
      const errors = fieldErrorsFrom(parsed);
      const detail = errors.length > 0 ? errors.map((e) => `${e.path}: ${e.message}`).join('; ') : managerSays;
      throw new RegistrationRejectedError(`[client] manager rejected ${what} (400): ${detail}; fix the request`, errors);
    }
    if (status === 401 || status === 403) {
      throw new UnauthorizedError(
        `[client] manager refused ${what} (${status}): ${managerSays}; check the client's token`,
        status,
      );
    }
    if (status === 404) {
      throw new NotFoundError(`[client] ${what} answered 404: ${managerSays}; the pod or route is unknown to the manager`);
    }
    throw new GovernanceClientError(`[client] ${what} answered ${status}: ${managerSays}`, { status });
  }
}
