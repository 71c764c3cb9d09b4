import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { CancelToken } from './backoff';

/**
 * How long an idle keep-alive socket is kept for reuse. Below the 5 s keep-alive timeout of
 * Node servers (fewer races with a server closing it), and it bounds the idle sockets held
 * open to thousands of distinct pods that are each checked only once per interval.
 */
const IDLE_SOCKET_MS = 4000;

/**
 * The keep-alive agents of one I/O pool (health checker or notifier): one for `http:`, one for
 * `https:`, each allowing `maxSockets` sockets per origin. Idle sockets are unref'd by Node and
 * closed after {@link IDLE_SOCKET_MS}; `destroy()` closes them all, so a stopped pool leaves
 * no socket open.
 *
 * @internal
 */
export class AgentPair {
  readonly http: http.Agent;
  readonly https: https.Agent;

  constructor(maxSockets: number) {
    const options = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: Math.min(maxSockets, 256),
      scheduling: 'lifo' as const,
      timeout: IDLE_SOCKET_MS,
    };
    this.http = new http.Agent(options);
    this.https = new https.Agent(options);
  }

  for(target: { protocol: string }): http.Agent {
    return target.protocol === 'https:' ? this.https : this.http;
  }

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/**
 * A URL turned into `http.request` options once, so repeated requests to it skip URL parsing
 * and conversion.
 *
 * @internal
 */
export interface RequestTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | string | undefined;
  path: string;
  auth: string | undefined;
}

/** @internal */
export function requestTarget(url: URL): RequestTarget {
  const { hostname } = url;
  return {
    protocol: url.protocol === 'https:' ? 'https:' : 'http:',
    hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    auth:
      url.username || url.password
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined,
  };
}

/** What one HTTP exchange ended with. `status` is 0 when no response arrived. */
export interface AttemptResult {
  status: number;
  /** Why no response arrived: a network error, a timeout, or a cancellation. */
  error?: string;
  /** True when the attempt was cancelled (by `stop()`, `untrack()`, an abort signal). */
  cancelled?: boolean;
  /** The `code` of the network error, when there was one (`ECONNREFUSED`, `ERR_GOVERNANCE_TARGET_POLICY`, …). */
  code?: string;
}

/** @internal */
export interface AttemptOptions {
  method: 'GET' | 'POST';
  /** Sent as is (the caller's shared Buffer; never copied). */
  body?: Buffer;
  headers?: http.OutgoingHttpHeaders;
  timeoutMs: number;
  /** An agent of the URL's protocol, or `false` for a one-off connection. */
  agent: http.Agent | false;
  token?: CancelToken;
  /** Resolves the host for a new connection (the target policy's checking lookup). */
  lookup?: LookupFunction;
  /**
   * Most bytes of the response body read; past them the connection is closed (the status
   * decides, the body is never needed). Default: no limit.
   */
  bodyLimit?: number;
}

/**
 * One HTTP request: resolves at the response headers (the body is drained in the background so
 * the socket returns to the pool, up to `bodyLimit` bytes: a longer body closes the socket), or with `status: 0` on error, timeout or cancel. Never
 * rejects. A request that fails because a reused keep-alive socket was closed by the server
 * is sent once more on a fresh socket, without counting as an attempt.
 *
 * @internal
 */
export async function httpAttempt(target: RequestTarget, options: AttemptOptions): Promise<AttemptResult> {
  const first = await requestOnce(target, options);
  if (first.staleSocket && !options.token?.cancelled) return requestOnce(target, options);
  return first;
}

interface OnceResult extends AttemptResult {
  staleSocket?: boolean;
}

function requestOnce(target: RequestTarget, options: AttemptOptions): Promise<OnceResult> {
  return new Promise((resolve) => {
    const { token, timeoutMs } = options;
    let settled = false;
    const settle = (result: OnceResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        auth: target.auth,
        method: options.method,
        agent: options.agent,
        headers: options.headers,
        lookup: options.lookup,
      },
      (res) => {
        const done = () => {
          clearTimeout(timer);
          token?.onCancel(undefined);
        };
        res.once('end', done);
        res.once('close', done);
        res.on('error', ignore);
        const limit = options.bodyLimit;
        // A body within its declared length needs no counting: the parser never reads past it.
        if (limit !== undefined && !(Number(res.headers['content-length']) <= limit)) {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > limit) res.destroy();
          });
        }
        res.resume();
        settle({ status: res.statusCode ?? 0 });
      },
    );
    const timer = setTimeout(() => {
      settle({ status: 0, error: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      token?.onCancel(undefined);
      const stale = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
      settle({ status: 0, error: err.message || String(err.code), staleSocket: stale, code: err.code });
    });
    token?.onCancel(() => {
      clearTimeout(timer);
      settle({ status: 0, error: `cancelled (${token.reason})`, cancelled: true });
      req.destroy();
    });
    req.end(options.body);
  });
}

function ignore(): void {}
