import type { Readable } from 'node:stream';
import type { WatchListener } from '../model';
import type { ServiceInfo } from '../model';
import type { ApiToken, ApiTokenInput } from '../security/api-tokens';
import type { AuthorizeRejection } from '../security/token-auth';
import type { ValidatedRegistration } from '../validation';
import type { WireProfile } from '../wire';

export type { AuthorizeRejection } from '../security/token-auth';

/** Header values as Node's `IncomingMessage.headers` holds them (lower-case names). */
export type GovernanceHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * What the handler needs from the manager. `Manager` satisfies it; the structural type keeps
 * the transport usable with any object of the same shape (a proxy, a test double).
 */
export interface GovernanceHandlerManager {
  /**
   * Registers a registration the transport has validated (`ValidatedRegistration.fromWire`),
   * without validating it again; field errors use the registration's (wire) vocabulary.
   */
  registerValidated(
    registration: ValidatedRegistration,
  ): Promise<{ service: ServiceInfo; outcome: 'created' | 'updated' | 'unchanged' }>;
  unregister(serviceName: string, podName: string): Promise<boolean>;
  /** TTL checks (`PUT /heartbeat`); without it that route answers 501. */
  heartbeat?(serviceName: string, podName: string): 'ok' | 'unknown' | 'no-ttl';
  getServicePods(serviceName: string): Promise<ServiceInfo[]>;
  listServices(): Promise<ServiceInfo[]>;
  checkHealth(): Promise<{
    healthy: boolean;
    degraded?: boolean;
    reason?: string;
    store: { ok: boolean; error?: string };
    selfPreservation?: { active: boolean; threshold: number; minPods: number; unhealthyShare: number; since?: string };
  }>;
  /** For `GET /health/live`: whether the process should be restarted (false) — not whether it can take traffic. Absent: live while it answers. */
  checkLiveness?(): { live: boolean; reason?: string };
  /** Pull mode (`GET /watch`, blocking queries): a group's revision. Without it those routes answer 501. */
  revisionOf?(serviceName: string): number;
  /** Pull mode: watches groups (see `Manager.watch`). */
  watch?(
    serviceNames: readonly string[],
    listener: WatchListener,
    options?: { after?: number; initial?: boolean; onEnd?: () => void },
  ): () => void;
  /**
   * The manager's resolved config. Its `tokens` (deprecated there) are used when the handler
   * options have none.
   */
  readonly config?: { readonly tokens?: readonly ApiToken[]; readonly wireProfile?: WireProfile };
  /**
   * False before `start()` has completed and after `stop()`: the read routes then answer 503
   * instead of an empty (or stale) list. Objects without it are always read.
   */
  readonly isRunning?: boolean;
}

/** The request, as the `authorize` hook sees it: nothing of the body has been read yet. */
export interface AuthorizeRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** Path relative to the mount point, e.g. `/register`. */
  path: string;
  headers: GovernanceHeaders;
  query: URLSearchParams;
}

/** `undefined`/`true` lets the request through; a rejection object answers it. */
export type AuthorizeResult = AuthorizeRejection | true | undefined | void;

/** What `GET /metrics` renders: prom-client's `Registry` and the result of `collectMetrics()` fit. */
export interface MetricsSource {
  /** The exposition's content type. */
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** Serves the status page below `/ui`: `createStatusPage()` from `@governance/core/ui`. */
export interface StatusPageHandler {
  /** Answers a GET/HEAD of `path` relative to `/ui` (`''`, `/`, `/live`, `/app.js`, …). */
  serve(path: string): Promise<GovernanceResponse>;
}

/** A pino-compatible logger; only `error` is used (for genuine bugs answered with 500). */
export interface TransportLogger {
  error(object: object, message?: string): void;
}

/** Options of `createGovernanceHandler` and of every adapter. */
export interface GovernanceHandlerOptions {
  /** Largest accepted request body in bytes. Default 65,536 (64 KiB); larger bodies get 413. */
  bodyLimit?: number;
  /**
   * Runs before the body is read or parsed, for every request to a known route. Return a
   * rejection (`{ status: 401 | 403, message }`) to refuse the request. An exception is
   * answered with 500 and logged.
   */
  authorize?: (request: AuthorizeRequest) => AuthorizeResult | Promise<AuthorizeResult>;
  /**
   * Bearer tokens for the API. When set, every route except `GET /health` needs
   * `Authorization: Bearer <token>` (401 before the body is read), writes need the service in
   * the token's `services` (or `'*'`) and reads need `read: true` (403). Without tokens the API
   * is open: for trusted networks only. Checked when the handler is created (tokens of at least
   * 16 characters). Replaces the deprecated manager setting of the same name.
   */
  tokens?: readonly ApiTokenInput[];
  /**
   * The shape of `GET /services`: `native` (snake_case) or `go` (the Go `ServiceInfo` field names
   * and time format). Default: the manager's `wireProfile`, so notifications and listings agree.
   */
  wireProfile?: WireProfile;
  /**
   * `Retry-After` seconds sent with 503 when the store is down or the manager is stopped.
   * A full lane uses the delay its `QueueFullError` suggests. Default 1.
   */
  retryAfterSeconds?: number;
  /** Where to report genuine bugs (answered with 500). Silent by default. */
  logger?: TransportLogger;
  /**
   * Serves `GET /metrics` in the Prometheus text format (`collectMetrics()` from
   * `@governance/core/prometheus`, or any prom-client `Registry`). With `tokens`, it needs a read token.
   */
  metrics?: MetricsSource;
  /**
   * Serves the status page at `GET /ui` (`createStatusPage()` from `@governance/core/ui`). With
   * `tokens`, it needs a read token, as a bearer token or as the password of HTTP Basic
   * authentication (any user name), so a browser can log in.
   */
  statusPage?: StatusPageHandler;
  /** Pull mode: `GET /watch` (SSE) and blocking `GET /services/:name?index=&wait=`. */
  watch?: WatchOptions;
}

/** Settings of the pull-mode routes. */
export interface WatchOptions {
  /** An SSE comment is sent after this long without events, so proxies keep the stream open (ms). Default 15 000. */
  heartbeatMs?: number;
  /** The reconnection delay the stream suggests to clients (SSE `retry:`, ms). Default 2 000. */
  retryMs?: number;
  /** Most streams and blocking queries one API token holds at once; more get 429. Default 100. */
  maxStreamsPerToken?: number;
  /** Most services one stream watches. Default 256. */
  maxServicesPerStream?: number;
  /** Longest `wait` of a blocking query (longer ones are cut), ms. Default 600 000 (10 min). */
  maxWaitMs?: number;
  /** `wait` of a blocking query that gives none, ms. Default 300 000 (5 min). */
  defaultWaitMs?: number;
}

/** A request in transport-neutral form, built by an adapter. */
export interface GovernanceRequest {
  /** HTTP method, any case. */
  method: string;
  /** Path relative to the mount point, without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: GovernanceHeaders;
  /**
   * Reads the raw body. The handler passes its byte limit; a reader should stop at it and
   * reject (a `BodyReadError` with reason `too-large` is answered with 413). Called at most once.
   */
  body: (limit: number) => Promise<Uint8Array | string>;
  /**
   * A body the host's own body parser already produced (Express `req.body`, Koa
   * `ctx.request.body`). When set, `body` is not called; a string or Buffer is parsed as JSON.
   */
  parsedBody?: unknown;
  /** Aborted when the client goes away (adapters set it; blocking queries stop waiting then). */
  signal?: AbortSignal;
}

/** The answer, ready to be written by an adapter. `body` is JSON text. */
export interface GovernanceResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /**
   * A streaming body (`GET /watch`), sent instead of `body`, without a content length. The
   * adapter pipes it to the client and destroys it when the client goes away.
   */
  stream?: Readable;
}

/** Handles one request; never rejects. */
export type GovernanceHandler = (request: GovernanceRequest) => Promise<GovernanceResponse>;
