import net from 'node:net';
import type http from 'node:http';
import { TARGET_POLICY_ERROR_CODE, type TargetPolicyGuard } from '../security/target-policy';
import { PROBE_BACKOFF, backoffDelay, sleep, type CancelToken } from './backoff';
import { httpAttempt, requestTarget, type AttemptResult, type RequestTarget } from './http-agent';

/** The outcome of one health check (all its attempts). */
export interface ProbeResult {
  /** True when an attempt got a 2xx answer (HTTP) or an open connection (TCP). */
  healthy: boolean;
  /** Attempts made: 1 + the retries used (0 when the URL could not be probed at all). */
  attempts: number;
  /** Wall time of the whole check, retries and backoff included, in ms. */
  durationMs: number;
  /** Why the last attempt failed (`HTTP 500`, `timed out after 1000 ms`, `connect ECONNREFUSED …`). */
  error?: string;
}

/** A parsed health-check URL. @internal */
export type ProbeTarget =
  | { kind: 'http'; request: RequestTarget }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'invalid'; error: string };

/** @internal */
export function parseProbeTarget(raw: string): ProbeTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { kind: 'invalid', error: `[core] health check URL ${JSON.stringify(raw)} is not a valid URL` };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { kind: 'http', request: requestTarget(url) };
  if (url.protocol === 'tcp:') {
    const port = Number(url.port);
    if (url.hostname && Number.isInteger(port) && port > 0 && port < 65536) {
      return { kind: 'tcp', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
    }
    return { kind: 'invalid', error: `[core] health check URL ${JSON.stringify(raw)} needs tcp://host:port` };
  }
  return {
    kind: 'invalid',
    error: `[core] health check URL ${JSON.stringify(raw)} must start with http://, https:// or tcp://`,
  };
}

/** @internal */
export interface RunProbeOptions {
  timeoutMs: number;
  retries: number;
  /** Agent for HTTP targets (matching the URL's protocol), or `false` for one-off connections. */
  agent: http.Agent | false;
  token?: CancelToken;
  /** The outbound target policy: refuses denied schemes and addresses (also after DNS resolution). */
  guard?: Pick<TargetPolicyGuard, 'lookup' | 'connectProblem'>;
  /** Most bytes of an HTTP answer's body read before the connection is closed. Default {@link PROBE_BODY_LIMIT}. */
  bodyLimit?: number;
}

/** How much of a health endpoint's body is read (the status code decides; the rest is never read). */
export const PROBE_BODY_LIMIT = 4096;

/**
 * Runs one check: up to `1 + retries` attempts with short exponential backoff between them.
 * Never rejects. A cancelled check resolves unhealthy with `error` starting `cancelled`.
 *
 * @internal
 */
export async function runProbe(target: ProbeTarget, options: RunProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  if (target.kind === 'invalid') return { healthy: false, attempts: 0, durationMs: 0, error: target.error };
  const refused =
    target.kind === 'http'
      ? options.guard?.connectProblem(target.request.protocol, target.request.hostname)
      : options.guard?.connectProblem('tcp:', target.host);
  if (refused !== undefined) return { healthy: false, attempts: 0, durationMs: 0, error: refused };
  const { token } = options;
  let attempts = 0;
  let error = '';
  for (;;) {
    attempts += 1;
    const outcome = target.kind === 'http' ? await httpProbe(target.request, options) : await tcpAttempt(target, options);
    if (outcome.healthy) return { healthy: true, attempts, durationMs: elapsed(started) };
    error = outcome.error;
    if (outcome.cancelled || outcome.refused || token?.cancelled || attempts > options.retries) break;
    await sleep(backoffDelay(attempts - 1, PROBE_BACKOFF), token);
    if (token?.cancelled) break;
  }
  if (token?.cancelled && !error.startsWith('cancelled')) error = `cancelled (${token.reason})`;
  return { healthy: false, attempts, durationMs: elapsed(started), error };
}

interface Outcome {
  healthy: boolean;
  error: string;
  cancelled?: boolean;
  /** The target policy refused the resolved address: retrying would not help. */
  refused?: boolean;
}

async function httpProbe(target: RequestTarget, options: RunProbeOptions): Promise<Outcome> {
  const result: AttemptResult = await httpAttempt(target, {
    method: 'GET',
    timeoutMs: options.timeoutMs,
    agent: options.agent,
    token: options.token,
    lookup: options.guard?.lookup,
    bodyLimit: options.bodyLimit ?? PROBE_BODY_LIMIT,
  });
  if (result.status >= 200 && result.status < 300) return { healthy: true, error: '' };
  return {
    healthy: false,
    error: result.status ? `HTTP ${result.status}` : (result.error ?? 'no response'),
    cancelled: result.cancelled,
    refused: result.code === TARGET_POLICY_ERROR_CODE,
  };
}

function tcpAttempt(target: { host: string; port: number }, options: RunProbeOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const { token, timeoutMs } = options;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      token?.onCancel(undefined);
      socket.destroy();
      resolve(outcome);
    };
    const socket = net.connect({ host: target.host, port: target.port, lookup: options.guard?.lookup });
    socket.once('connect', () => settle({ healthy: true, error: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      settle({ healthy: false, error: err.message, refused: err.code === TARGET_POLICY_ERROR_CODE }),
    );
    const timer = setTimeout(() => settle({ healthy: false, error: `timed out after ${timeoutMs} ms` }), timeoutMs);
    token?.onCancel(() => settle({ healthy: false, error: `cancelled (${token.reason})`, cancelled: true }));
  });
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
