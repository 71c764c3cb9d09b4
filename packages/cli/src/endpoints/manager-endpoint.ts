import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError, formatFieldErrors, toWireRegistration, type ServiceInfo } from '@governance/core';
import { CliError } from '../errors';
import { parsePodRecord } from '../records';
import type { Endpoint } from './endpoint';

/** Options of a {@link ManagerEndpoint}. */
export interface ManagerEndpointOptions {
  /** Bearer token sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number;
  /** Registrations in flight at once when writing. Default 16. */
  concurrency?: number;
}

/** Attempts of a request the manager answered with 503/429 (its queue is full) or that failed to connect. */
const ATTEMPTS = 6;
const MAX_RETRY_DELAY_MS = 5_000;

interface Answer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
}

/**
 * A running manager as an {@link Endpoint}: reads `GET <prefix>/services` (native snake_case or
 * the Go profile's PascalCase records) and writes with `POST <prefix>/register`. A registration
 * carries no status or times, so the manager sets them: writing keeps every registration field,
 * not the source's status and timestamps.
 */
export class ManagerEndpoint implements Endpoint {
  readonly kind = 'manager';
  readonly label: string;
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #concurrency: number;

  constructor(base: URL, label: string, options: ManagerEndpointOptions = {}) {
    this.#base = base.href.replace(/\/+$/, '');
    this.label = label;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#concurrency = options.concurrency ?? 16;
  }

  async readAll(signal?: AbortSignal): Promise<ServiceInfo[]> {
    const answer = await this.#request('GET', '/services', undefined, signal);
    if (answer.status !== 200) throw this.#refusal('GET /services', answer);
    return parseServiceList(answer.body, `GET ${this.label}/services`, new Date());
  }

  async write(pods: readonly ServiceInfo[], signal?: AbortSignal): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pods.length) {
        const pod = pods[next++]!;
        const answer = await this.#request('POST', '/register', toWireRegistration(pod), signal);
        if (answer.status !== 200 && answer.status !== 201) throw this.#refusal(`POST /register of ${pod.serviceName}:${pod.podName}`, answer);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, pods.length) }, worker));
  }

  async close(): Promise<void> {
    // fetch keeps no connection this endpoint owns.
  }

  async #request(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      // One controller per request, detached from `signal` afterwards (AbortSignal.any would keep
      // every request's signal reachable from a long-lived one).
      const request = new AbortController();
      const abort = (): void => request.abort(signal?.reason);
      signal?.addEventListener('abort', abort, { once: true });
      const timer = setTimeout(() => request.abort(new Error('timeout')), this.#timeoutMs);
      let answer: Answer;
      try {
        const response = await fetch(`${this.#base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: request.signal,
        });
        const text = await response.text();
        answer = { status: response.status, body: parseJson(text), retryAfterMs: retryAfter(response.headers.get('retry-after')) };
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (attempt >= ATTEMPTS) {
          const why = request.signal.aborted ? `no answer within ${this.#timeoutMs} ms` : 'the connection failed';
          throw new CliError(`[cli] ${method} ${this.label}${path}: ${why}; check that the manager runs and the URL (with its prefix) is right`, { cause: error });
        }
        await sleep(backoff(attempt), undefined, { signal });
        continue;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
      }
      if ((answer.status === 503 || answer.status === 429) && attempt < ATTEMPTS) {
        await sleep(Math.min(answer.retryAfterMs ?? backoff(attempt), MAX_RETRY_DELAY_MS), undefined, { signal });
        continue;
      }
      return answer;
    }
  }

  #refusal(what: string, answer: Answer): CliError {
    const body = answer.body as { error?: unknown; errors?: unknown } | undefined;
    const said = typeof body?.error === 'string' ? `: ${body.error}` : '';
    const hint =
      answer.status === 401
        ? '; pass a token the manager accepts with --token or GOVERNANCE_TOKEN'
        : answer.status === 403
          ? '; the token is not allowed to do this: use one scoped to every service ("*")'
          : answer.status === 404 && what.startsWith('GET')
            ? '; no Governance API there: check the prefix in the URL (e.g. http://host:8080/gov)'
            : '';
    return new CliError(`[cli] the manager at ${this.label} refused ${what} (HTTP ${answer.status})${said}${hint}`);
  }
}

/**
 * The pods of a `GET /services` body: `{ count, services }` (native), `{ Services }` or a bare
 * array, each record native or Go-shaped and validated.
 */
export function parseServiceList(body: unknown, where: string, now: Date): ServiceInfo[] {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const list = Array.isArray(body) ? body : (record?.services ?? record?.Services);
  if (!Array.isArray(list)) {
    throw new CliError(`[cli] ${where} did not answer a list of services ({ "count", "services": [...] }); is this a Governance manager?`);
  }
  return list.map((item, index) => {
    try {
      return parsePodRecord(item, now);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      throw new CliError(`[cli] ${where} answered a record the CLI cannot read (services[${index}]):\n${formatFieldErrors(error.errors)}`);
    }
  });
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfter(value: string | null): number | undefined {
  const seconds = value === null ? Number.NaN : Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function backoff(attempt: number): number {
  return Math.min(100 * 2 ** attempt, MAX_RETRY_DELAY_MS);
}
