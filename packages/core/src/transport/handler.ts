import { ManagerStoppedError, type FieldError } from '../errors';
import { resolveApiTokens, type ApiToken } from '../security/api-tokens';
import { TokenAuthenticator } from '../security/token-auth';
import { ValidatedRegistration, nameProblem } from '../validation';
import { WIRE_FIELD_NAMES, WIRE_PROFILES, toWireService, toWireServiceGroup, toWireServiceList, toWireUnregistered } from '../wire';
import { BodyReadError } from './body-reader';
import type {
  AuthorizeRejection,
  GovernanceHandler,
  GovernanceHandlerManager,
  GovernanceHandlerOptions,
  GovernanceRequest,
  GovernanceResponse,
} from './handler-types';
import { BodyError, assertJsonContentType, parseJsonBody } from './json-body';
import {
  INDEX_HEADER,
  SSE_HEADERS,
  SseStream,
  TokenWatchCounts,
  parseBlockingQuery,
  parseWatchQuery,
  resolveWatchOptions,
  waitForChange,
} from './watch';

/** The registry is read only while the manager runs: before `start()` its view is empty, not the store's. */
function assertReadable(manager: GovernanceHandlerManager): void {
  if (manager.isRunning === false) {
    throw new ManagerStoppedError('the manager is not running (not started yet, or stopped); try again shortly');
  }
}

/** Default largest request body: 64 KiB. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

type Route = 'register' | 'unregister' | 'heartbeat' | 'services' | 'service' | 'health' | 'metrics' | 'ui' | 'watch';

const ALLOWED: Record<Route, readonly string[]> = {
  register: ['POST'],
  unregister: ['DELETE'],
  heartbeat: ['PUT'],
  services: ['GET', 'HEAD'],
  service: ['GET', 'HEAD'],
  health: ['GET', 'HEAD'],
  metrics: ['GET', 'HEAD'],
  ui: ['GET', 'HEAD'],
  watch: ['GET'],
};

const READ_ROUTES: ReadonlySet<Route> = new Set(['services', 'service', 'metrics', 'ui', 'watch']);

/** Says whether `POST /register` created, updated or left the pod unchanged (200 covers the last two). */
const REGISTER_OUTCOME_HEADER = 'x-governance-outcome';

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
});

/**
 * Creates the transport-neutral HTTP handler of the Governance REST API (wire-compatible with
 * the Go manager). Paths are relative to wherever the host mounts it:
 *
 * | route | answer |
 * | --- | --- |
 * | `POST /register` | 201 created / 200 updated or unchanged (header `x-governance-outcome`), body = the stored pod (snake_case) |
 * | `DELETE /unregister?service_name=&pod_name=` | 200 `{ status: "unregistered", … }`, 404 unknown pod |
 * | `GET /services` | `{ count, services }` |
 * | `GET /services/:serviceName` | `{ service_name, count, pods }`, revision in `x-governance-index`; with `?index=N&wait=30s` a blocking query (held until the revision passes N or `wait` ends) |
 * | `GET /watch?service=a&service=b` | `text/event-stream`: each group's state, then every change (`id:` = revision; resumes from `Last-Event-ID`) |
 * | `GET /health`, `GET /health/ready` | 200 `{ status: "healthy" }` / 503 `{ status: "unhealthy" \| "degraded", error }` (readiness: store, stuck writes, cluster lease) |
 * | `GET /health/live` | 200 `{ status: "live" }` / 503 `{ status: "dead", error }` (liveness: restart me) |
 *
 * Errors are JSON `{ error, errors? }`: 400 bad input (every field error), 404 unknown route
 * or pod, 405 wrong method (with `Allow`), 413 body over `bodyLimit`, 415 not JSON, 401/403
 * from `authorize` or the bearer `tokens` (checked before the body is read; only the register
 * scope check needs the parsed `service_name`; `/health` stays open), 503 + `Retry-After` when
 * the lane is full, the store fails or the manager is not running (reads before `start()` has
 * completed and after `stop()` included), 500 only for bugs (logged).
 * The returned function never rejects.
 *
 * @throws ValidationError naming the bad option (`tokens[0].token`), TypeError for a bad `bodyLimit`.
 */
export function createGovernanceHandler(
  manager: GovernanceHandlerManager,
  options: GovernanceHandlerOptions = {},
): GovernanceHandler {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isInteger(bodyLimit) || bodyLimit <= 0) {
    throw new TypeError(`[core] bodyLimit must be a positive whole number of bytes, got ${String(options.bodyLimit)}`);
  }
  const retryAfter = String(Math.max(1, Math.ceil(options.retryAfterSeconds ?? 1)));
  const { authorize, logger } = options;
  const profile = options.wireProfile ?? manager.config?.wireProfile ?? 'native';
  if (!WIRE_PROFILES.includes(profile)) {
    throw new TypeError(`[core] wireProfile must be one of ${WIRE_PROFILES.join(', ')}, got ${JSON.stringify(profile)}`);
  }
  const tokens = options.tokens !== undefined ? resolveApiTokens(options.tokens, 'handler options') : (manager.config?.tokens ?? []);
  const auth = tokens.length > 0 ? new TokenAuthenticator(tokens) : undefined;
  const watchOptions = resolveWatchOptions(options.watch);
  const tokenWatches = new TokenWatchCounts(watchOptions.maxStreamsPerToken);
  const tooManyForToken = (): GovernanceResponse =>
    json(
      429,
      { error: `[core] this token holds ${watchOptions.maxStreamsPerToken} watch streams and blocking queries already; close one or retry later` },
      { 'retry-after': retryAfter },
    );

  const fail = (error: unknown, request: GovernanceRequest): GovernanceResponse => {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    switch (code) {
      case 'VALIDATION': {
        const errors = (error as { errors?: FieldError[] }).errors ?? [];
        return json(400, { error: message, errors });
      }
      case 'NOT_FOUND':
        return json(404, { error: message });
      case 'QUEUE_FULL': {
        const ms = Number((error as { retryAfterMs?: unknown }).retryAfterMs);
        const seconds = Number.isFinite(ms) && ms > 0 ? String(Math.ceil(ms / 1000)) : retryAfter;
        return json(503, { error: message }, { 'retry-after': seconds });
      }
      case 'STORE':
      case 'MANAGER_STOPPED':
      case 'WATCH_LIMIT':
        return json(503, { error: message }, { 'retry-after': retryAfter });
      default:
        if (error instanceof BodyReadError) {
          return error.reason === 'too-large'
            ? json(413, { error: error.message }, { connection: 'close' })
            : json(400, { error: error.message }, { connection: 'close' });
        }
        if (error instanceof BodyError) {
          const errors = error.path === undefined ? undefined : [{ path: error.path, message: error.message }];
          return json(error.status, errors ? { error: error.message, errors } : { error: error.message });
        }
        logger?.error({ err: error, method: request.method, path: request.path }, '[core] HTTP handler failed');
        return json(500, { error: '[core] internal error while handling the request; see the manager log' });
    }
  };

  /** The pod named by `?service_name=&pod_name=`, once the caller may write to its service; else the answer. */
  const writablePod = (
    request: GovernanceRequest,
    caller: ApiToken | undefined,
  ): { serviceName: string; podName: string } | GovernanceResponse => {
    const errors: FieldError[] = [];
    const serviceName = nameParam(request.query, WIRE_FIELD_NAMES.serviceName, errors);
    const podName = nameParam(request.query, WIRE_FIELD_NAMES.podName, errors);
    if (errors.length > 0) return invalid('query', errors);
    const denied = caller && auth?.checkWrite(caller, serviceName);
    if (denied) return rejected(denied);
    return { serviceName, podName };
  };

  type RouteHandler = (request: GovernanceRequest, param: string, caller: ApiToken | undefined) => Promise<GovernanceResponse>;
  const routes: Record<Route, RouteHandler> = {
    async register(request, _param, caller) {
      assertJsonContentType(request.headers);
      const raw = request.parsedBody !== undefined ? request.parsedBody : await request.body(bodyLimit);
      const validated = ValidatedRegistration.fromWire(parseJsonBody(raw));
      const denied = caller && auth?.checkWrite(caller, validated.registration.serviceName);
      if (denied) return rejected(denied);
      const { service, outcome } = await manager.registerValidated(validated);
      return json(outcome === 'created' ? 201 : 200, toWireService(service), { [REGISTER_OUTCOME_HEADER]: outcome });
    },

    async unregister(request, _param, caller) {
      const target = writablePod(request, caller);
      if ('status' in target) return target;
      const { serviceName, podName } = target;
      const removed = await manager.unregister(serviceName, podName);
      if (!removed) {
        return json(404, { error: `[core] pod ${serviceName}:${podName} is not registered; nothing to unregister` });
      }
      return json(200, toWireUnregistered(serviceName, podName));
    },

    async heartbeat(request, _param, caller) {
      const target = writablePod(request, caller);
      if ('status' in target) return target;
      const { serviceName, podName } = target;
      if (manager.heartbeat === undefined) return json(501, { error: '[core] this manager has no TTL checks (heartbeat)' });
      const outcome = manager.heartbeat(serviceName, podName);
      if (outcome === 'unknown') return json(404, { error: `[core] pod ${serviceName}:${podName} is not registered; register it (with a ttl) first` });
      if (outcome === 'no-ttl') {
        return json(409, { error: `[core] pod ${serviceName}:${podName} is registered without a ttl: it is checked through its health_check_url, not by heartbeats` });
      }
      return { status: 204, headers: { 'cache-control': 'no-store' }, body: '' };
    },

    async services() {
      assertReadable(manager);
      return json(200, toWireServiceList(profile, await manager.listServices()));
    },

    async service(request, param, caller) {
      let serviceName: string;
      try {
        serviceName = decodeURIComponent(param);
      } catch {
        return invalid('path', [{ path: WIRE_FIELD_NAMES.serviceName, message: 'is not valid percent-encoding' }]);
      }
      const problem = nameProblem(serviceName);
      if (problem) return invalid('path', [{ path: WIRE_FIELD_NAMES.serviceName, message: problem }]);
      assertReadable(manager);
      const errors: FieldError[] = [];
      const blocking = parseBlockingQuery(request.query, watchOptions, errors);
      if (errors.length > 0) return invalid('query', errors);
      const { watch, revisionOf } = manager;
      if (blocking !== undefined && watch !== undefined && revisionOf !== undefined) {
        const release = tokenWatches.take(caller);
        if (release === undefined) return tooManyForToken();
        try {
          await waitForChange({ watch: watch.bind(manager), revisionOf: revisionOf.bind(manager) }, serviceName, blocking.index, blocking.waitMs, request.signal);
        } finally {
          release();
        }
      }
      const index = revisionOf === undefined ? undefined : { [INDEX_HEADER]: String(revisionOf.call(manager, serviceName)) };
      return json(200, toWireServiceGroup(serviceName, await manager.getServicePods(serviceName)), index);
    },

    async watch(request, _param, caller) {
      if (manager.watch === undefined || manager.revisionOf === undefined) {
        return json(501, { error: '[core] this manager does not support watching; use a Manager of @governance/core' });
      }
      const errors: FieldError[] = [];
      const query = parseWatchQuery(request, watchOptions.maxServicesPerStream, errors);
      if (errors.length > 0) return invalid('query', errors);
      const release = tokenWatches.take(caller);
      if (release === undefined) return tooManyForToken();
      const stream = new SseStream(watchOptions.heartbeatMs, watchOptions.retryMs);
      try {
        const unwatch = manager.watch(query.services, stream.offer, { after: query.after, onEnd: () => stream.finish() });
        stream.attach(() => {
          unwatch();
          release();
        });
      } catch (error) {
        release();
        stream.destroy();
        throw error;
      }
      return { status: 200, headers: { ...SSE_HEADERS }, body: '', stream };
    },

    async metrics() {
      const text = await options.metrics!.metrics();
      return { status: 200, headers: { 'content-type': options.metrics!.contentType, 'cache-control': 'no-store' }, body: text };
    },

    async ui(_request, param) {
      return options.statusPage!.serve(param);
    },

    async health(request, param) {
      try {
        if (param === 'live') {
          const liveness = manager.checkLiveness?.() ?? { live: true };
          if (liveness.live) return json(200, { status: 'live' });
          return json(503, { status: 'dead', error: liveness.reason ?? '[core] not live' });
        }
        const health = await manager.checkHealth();
        if (health.healthy) {
          const sp = health.selfPreservation;
          if (sp === undefined || !sp.active) return json(200, { status: 'healthy' });
          const self_preservation = { active: true, threshold: sp.threshold, min_pods: sp.minPods, unhealthy_share: sp.unhealthyShare, since: sp.since };
          return json(200, { status: 'healthy', self_preservation });
        }
        const error = health.store.error ?? health.reason ?? '[core] the store is unreachable';
        return json(503, { status: health.degraded === true ? 'degraded' : 'unhealthy', error }, { 'retry-after': retryAfter });
      } catch (error) {
        const answer = fail(error, request);
        if (answer.status === 500) return answer;
        const message = error instanceof Error ? error.message : String(error);
        return json(503, { status: 'unhealthy', error: message }, { 'retry-after': retryAfter });
      }
    },
  };

  return async function handle(request: GovernanceRequest): Promise<GovernanceResponse> {
    try {
      const method = request.method.toUpperCase();
      const match = matchRoute(request.path) ?? matchObservabilityRoute(request.path, options);
      if (!match) return noRouteResponse(method, request.path);
      const allowed = ALLOWED[match.route];
      if (!allowed.includes(method)) {
        return json(
          405,
          { error: `[core] ${method} is not allowed on ${request.path}; use ${allowed.join(' or ')}` },
          { allow: allowed.join(', ') },
        );
      }
      if (authorize) {
        const verdict = await authorize({
          method,
          path: request.path,
          headers: request.headers,
          query: request.query,
        });
        if (verdict && verdict !== true) return rejected(verdict, bodyPending(request));
      }
      let caller: ApiToken | undefined;
      if (auth && match.route !== 'health') {
        const verdict = auth.check(match.route === 'ui' ? basicAsBearer(request.headers) : request.headers);
        if ('status' in verdict) return rejected(match.route === 'ui' ? basicChallenge(verdict) : verdict, bodyPending(request));
        caller = verdict.token;
        const denied = READ_ROUTES.has(match.route) ? auth.checkRead(caller) : undefined;
        if (denied) return rejected(denied, bodyPending(request));
      }
      return await routes[match.route](request, match.param, caller);
    } catch (error) {
      return fail(error, request);
    }
  };
}

/** True when `path` (relative to the mount point) is one of the API's routes, any method. */
export function isGovernanceRoute(path: string): boolean {
  return matchRoute(path) !== undefined;
}

/**
 * `/metrics` and `/ui…` when the options serve them (`metrics`, `statusPage`); `param` is the
 * path below `/ui`.
 */
export function matchObservabilityRoute(
  path: string,
  options: Pick<GovernanceHandlerOptions, 'metrics' | 'statusPage'>,
): { route: Route; param: string } | undefined {
  if (options.metrics !== undefined && (path === '/metrics' || path === '/metrics/')) return { route: 'metrics', param: '' };
  if (options.statusPage !== undefined && (path === '/ui' || path.startsWith('/ui/'))) return { route: 'ui', param: path.slice(3) };
  return undefined;
}

/** HTTP Basic credentials (any user, the token as password) as a bearer header, for browsers. */
function basicAsBearer(headers: GovernanceRequest['headers']): GovernanceRequest['headers'] {
  const value = headers.authorization;
  const match = typeof value === 'string' ? /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(value) : null;
  if (match === null) return headers;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? headers : { ...headers, authorization: `Bearer ${decoded.slice(colon + 1)}` };
}

/** A 401 for the status page asks the browser for Basic credentials (the token as password). */
function basicChallenge(verdict: AuthorizeRejection): AuthorizeRejection {
  if (verdict.status !== 401) return verdict;
  return {
    ...verdict,
    message: `${verdict.message} (a browser: enter the token as the password)`,
    headers: { ...verdict.headers, 'www-authenticate': 'Basic realm="governance", charset="UTF-8"' },
  };
}

function matchRoute(rawPath: string): { route: Route; param: string } | undefined {
  const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  switch (path) {
    case '/register':
      return { route: 'register', param: '' };
    case '/unregister':
      return { route: 'unregister', param: '' };
    case '/heartbeat':
      return { route: 'heartbeat', param: '' };
    case '/services':
      return { route: 'services', param: '' };
    case '/health':
      return { route: 'health', param: '' };
    case '/health/live':
      return { route: 'health', param: 'live' };
    case '/health/ready':
      return { route: 'health', param: 'ready' };
    case '/watch':
      return { route: 'watch', param: '' };
  }
  if (path.startsWith('/services/')) {
    const param = path.slice('/services/'.length);
    if (param !== '' && !param.includes('/')) return { route: 'service', param };
  }
  return undefined;
}

function nameParam(query: URLSearchParams, name: string, errors: FieldError[]): string {
  const values = query.getAll(name);
  if (values.length === 0) {
    errors.push({ path: name, message: 'is required' });
    return '';
  }
  if (values.length > 1) {
    errors.push({ path: name, message: 'must be given once' });
    return '';
  }
  const problem = nameProblem(values[0]!);
  if (problem) errors.push({ path: name, message: problem });
  return values[0]!;
}

function invalid(where: 'query' | 'path', errors: FieldError[]): GovernanceResponse {
  const list = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return json(400, { error: `[core] invalid ${where} parameters: ${list}`, errors });
}

function rejected(verdict: AuthorizeRejection, closeConnection = false): GovernanceResponse {
  const status = verdict.status === 403 ? 403 : 401;
  const headers = closeConnection ? { ...verdict.headers, connection: 'close' } : (verdict.headers ?? {});
  return json(status, { error: verdict.message }, headers);
}

/** True when a request body is on its way that nobody will read (so the connection is closed after the answer). */
function bodyPending(request: GovernanceRequest): boolean {
  if (request.parsedBody !== undefined) return false;
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The 404 answer for a path that is not one of the API's routes. */
export function noRouteResponse(method: string, path: string): GovernanceResponse {
  return json(404, { error: `[core] no route ${method.toUpperCase()} ${path}; see the Governance HTTP API` });
}

function json(status: number, body: unknown, headers?: Record<string, string>): GovernanceResponse {
  return { status, headers: headers ? { ...JSON_HEADERS, ...headers } : { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

function errorCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
