import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyNotificationSignature, type Subscriber } from './signature.js';
import { REVISION_HEADER, parseNotificationPayload, parseRevisionHeader, type NotificationPayload } from './wire.js';

/** Receives each accepted notification. Its synchronous part runs before the manager is answered. */
export type NotificationCallback = (payload: NotificationPayload) => void | Promise<unknown>;

/** Options of `createNotificationHandler`. */
export interface NotificationHandlerOptions {
  /**
   * Shared secret(s): when set, every delivery must carry a valid `x-governance-signature`, a
   * fresh `x-governance-timestamp` and the signed `x-governance-revision`, and be addressed to
   * `subscriber` (see `signNotification`), or it is refused with 401. Pass several during a
   * rotation. Needs `subscriber`.
   */
  secret?: string | readonly string[];
  /**
   * The pod this receiver belongs to (`{ serviceName, podName }`, as registered). Required with
   * `secret`: the manager signs each delivery for its receiver, so a notification captured on
   * its way to another pod that shares the secret is refused here.
   */
  subscriber?: Subscriber;
  /**
   * The last revision accepted per service group before a restart (what the callback saw in
   * `payload.revision`, persisted by the host). Deliveries not newer are ignored, which closes
   * the replay window that otherwise stays open for `maxSkewMs` after a restart.
   */
  initialRevisions?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  /** Largest accepted body, in bytes; larger bodies get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest accepted age (or clock skew) of a signed delivery, in ms. Default 300000. */
  maxSkewMs?: number;
  /** Receives errors of the callback (thrown, or rejected after the answer). Default: `console.error`. */
  onError?: (error: unknown, payload: NotificationPayload) => void;
}

/** The parts of a Koa context the handler uses (Koa 2 and 3). */
export interface KoaLikeContext {
  method: string;
  req: IncomingMessage;
  /** Koa's request; `body` / `rawBody` are read when a body parser set them. */
  request: object;
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/**
 * A request handler for `POST /notify`: a `node:http` listener that also works as an Express
 * route handler, with `koa` for Koa. Answers 200 after the callback's synchronous part;
 * 400 for invalid JSON or payloads, 401 for bad signatures, 405 for other methods, 413 for
 * oversized bodies, 500 when the callback throws synchronously (so the manager retries).
 */
export interface NotificationHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** The same handler as Koa middleware; mount it on the notification path. */
  koa: (ctx: KoaLikeContext, next?: () => Promise<unknown>) => Promise<void>;
}

interface Outcome {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

const TOO_LARGE = Symbol('too large');

/** What the transport could find of the body: the raw bytes, an already parsed value, or both. */
interface ReceivedBody {
  raw?: string | Buffer;
  parsed?: unknown;
}

const fail = (status: number, error: string, extra: Record<string, unknown> = {}): Outcome => ({
  status,
  body: { error, ...extra },
});

function readRaw(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(TOO_LARGE);
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.resume();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function validSubscriber(value: unknown): value is Subscriber {
  if (typeof value !== 'object' || value === null) return false;
  const { serviceName, podName } = value as Record<string, unknown>;
  return typeof serviceName === 'string' && serviceName !== '' && typeof podName === 'string' && podName !== '';
}

function initialRevisionsOf(initial: NotificationHandlerOptions['initialRevisions']): Map<string, number> {
  const entries = initial === undefined ? [] : initial instanceof Map ? [...initial] : Object.entries(initial);
  for (const [group, revision] of entries) {
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new TypeError(`[client] option initialRevisions: the revision of ${JSON.stringify(group)} must be a whole number ≥ 0`);
    }
  }
  return new Map(entries);
}

/**
 * Sets `payload.revision` from the `x-governance-revision` header when the body has none (a
 * Go-profile body never has one). Returns the problem when the header is malformed or
 * disagrees with the body.
 */
function takeHeaderRevision(payload: NotificationPayload, headers: IncomingMessage['headers']): string | undefined {
  const header = parseRevisionHeader(headers[REVISION_HEADER]);
  if (header === undefined) return undefined;
  if (typeof header === 'string') return header;
  if (payload.revision === undefined) payload.revision = header;
  else if (payload.revision !== header) {
    return `the ${REVISION_HEADER} header (${header}) disagrees with the body's revision (${payload.revision})`;
  }
  return undefined;
}

/** Some body parsers leave `{}` behind without reading a body they do not handle. */
function isEmptyPlaceholder(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function byteLength(raw: string | Buffer): number {
  return typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
}

/**
 * Creates the receiver of the manager's notifications. It validates each payload, checks its
 * signature when a `secret` is set, drops deliveries whose `revision` is not newer than one
 * already accepted for the same `service_name` (answering 200 without calling back), and calls
 * `onNotification` with a clean copy of the payload. A callback that throws or rejects never
 * crashes the server.
 *
 * With Express, mount it as `app.post('/notify', handler)`: if a JSON parser already ran it uses
 * `req.body` (and, with a `secret`, needs the raw body as `req.rawBody`, a Buffer `req.body`
 * from `express.raw()`, or no parser in front). With Koa: `router.post('/notify', handler.koa)`.
 */
export function createNotificationHandler(
  onNotification: NotificationCallback,
  options: NotificationHandlerOptions = {},
): NotificationHandler {
  if (typeof onNotification !== 'function') throw new TypeError('[client] onNotification must be a function');
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new TypeError(`[client] option maxBodyBytes must be a positive integer, got ${String(options.maxBodyBytes)}`);
  }
  const secrets = options.secret === undefined ? [] : typeof options.secret === 'string' ? [options.secret] : options.secret;
  if (secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new TypeError('[client] option secret must be a non-empty string (or a list of them)');
  }
  const { subscriber } = options;
  if (secrets.length > 0 && !validSubscriber(subscriber)) {
    throw new TypeError(
      '[client] option subscriber ({ serviceName, podName } of this pod, as registered) is required with secret: ' +
        'signatures name their receiver, so a notification meant for another pod is refused',
    );
  }
  const onError =
    options.onError ??
    ((error: unknown, payload: NotificationPayload) =>
      console.error(`[client] notification callback failed for ${payload.service_name}:`, error));
  const revisions = initialRevisionsOf(options.initialRevisions);

  const report = (error: unknown, payload: NotificationPayload) => {
    try {
      onError(error, payload);
    } catch {
      // an error reporter that throws must not crash the server
    }
  };

  function handle(method: string | undefined, headers: IncomingMessage['headers'], received: ReceivedBody): Outcome {
    if (method !== 'POST') return { ...fail(405, '[client] notifications must be POSTed'), headers: { allow: 'POST' } };
    const { raw } = received;
    if (raw !== undefined && byteLength(raw) > maxBodyBytes) {
      return fail(413, `[client] notification body is larger than ${maxBodyBytes} bytes`);
    }
    if (secrets.length > 0) {
      if (raw === undefined) {
        return fail(
          500,
          '[client] signature checks need the raw body: mount the handler without a JSON body parser in front, or expose the raw body as req.rawBody',
        );
      }
      const verdict = verifyNotificationSignature(secrets, raw, headers, {
        subscriber: subscriber!,
        ...(options.maxSkewMs === undefined ? {} : { maxSkewMs: options.maxSkewMs }),
      });
      if (!verdict.ok) return fail(401, `[client] notification refused: ${verdict.reason}`);
    }

    let value = received.parsed;
    if (value === undefined || raw !== undefined) {
      const text = raw === undefined ? '' : raw.toString();
      try {
        value = JSON.parse(text);
      } catch (error) {
        const reason = text.trim().length === 0 ? 'the body is empty' : (error as Error).message;
        return fail(400, `[client] notification body is not valid JSON: ${reason}`);
      }
    }
    const result = parseNotificationPayload(value);
    if (!result.ok) {
      const detail = result.errors.map((e) => (e.path ? `${e.path} ${e.message}` : e.message)).join('; ');
      return fail(400, `[client] invalid notification payload: ${detail}`, { errors: result.errors });
    }
    const payload = result.payload;
    const revisionProblem = takeHeaderRevision(payload, headers);
    if (revisionProblem !== undefined) return fail(400, `[client] invalid notification: ${revisionProblem}`);
    const previous = revisions.get(payload.service_name);
    if (payload.revision !== undefined) {
      if (previous !== undefined && payload.revision <= previous) {
        return { status: 200, body: { status: 'ignored', reason: `revision ${payload.revision} is not newer than ${previous}` } };
      }
      revisions.set(payload.service_name, payload.revision);
    }

    try {
      const pending = onNotification(payload);
      if (pending && typeof (pending as Promise<unknown>).then === 'function') {
        (pending as Promise<unknown>).then(undefined, (error: unknown) => report(error, payload));
      }
    } catch (error) {
      if (payload.revision !== undefined && revisions.get(payload.service_name) === payload.revision) {
        if (previous === undefined) revisions.delete(payload.service_name);
        else revisions.set(payload.service_name, previous);
      }
      report(error, payload);
      return fail(500, '[client] the notification callback failed; the manager may retry');
    }
    return { status: 200, body: { status: 'ok' } };
  }

  async function receive(req: IncomingMessage, preParsed: unknown, preRaw: unknown): Promise<Outcome> {
    if (req.method !== 'POST') return handle(req.method, req.headers, {});
    if (typeof preRaw === 'string' || Buffer.isBuffer(preRaw)) return handle('POST', req.headers, { raw: preRaw });
    if (typeof preParsed === 'string' || Buffer.isBuffer(preParsed)) return handle('POST', req.headers, { raw: preParsed });
    if (preParsed !== undefined && !(isEmptyPlaceholder(preParsed) && !req.readableEnded)) {
      return handle('POST', req.headers, { parsed: preParsed });
    }
    const raw = await readRaw(req, maxBodyBytes);
    if (raw === TOO_LARGE) return fail(413, `[client] notification body is larger than ${maxBodyBytes} bytes`);
    return handle('POST', req.headers, { raw });
  }

  const failedToRead = (error: unknown): Outcome =>
    fail(400, `[client] could not read the notification body: ${error instanceof Error ? error.message : String(error)}`);

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    const withBody = req as IncomingMessage & { body?: unknown; rawBody?: unknown };
    receive(req, withBody.body, withBody.rawBody)
      .catch(failedToRead)
      .then((outcome) => {
        if (res.headersSent || res.writableEnded) return;
        res.statusCode = outcome.status;
        for (const [name, value] of Object.entries(outcome.headers ?? {})) res.setHeader(name, value);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(outcome.body));
      })
      .catch(() => undefined);
  }) as NotificationHandler;

  handler.koa = async (ctx: KoaLikeContext) => {
    const request = ctx.request as { body?: unknown; rawBody?: unknown };
    const outcome = await receive(ctx.req, request.body, request.rawBody).catch(failedToRead);
    ctx.status = outcome.status;
    for (const [name, value] of Object.entries(outcome.headers ?? {})) ctx.set(name, value);
    ctx.body = outcome.body;
  };

  return handler;
}
