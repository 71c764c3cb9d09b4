import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './body-reader';
import type { GovernanceRequest } from './handler-types';

/** Normalises a mount prefix to `''` or `/a/b` (leading slash, no trailing slash). */
export function normalizePrefix(prefix: string | undefined): string {
  if (!prefix || prefix === '/') return '';
  const withSlash = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

/** The path below `prefix`, or `undefined` when `path` is outside it. */
export function stripPrefix(path: string, prefix: string): string | undefined {
  if (prefix === '') return path;
  if (path === prefix) return '/';
  if (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47 /* / */) return path.slice(prefix.length);
  return undefined;
}

/** Splits a request target (`/a/b?x=1`) into path and query. */
export function splitUrl(url: string): { path: string; search: string } {
  const at = url.indexOf('?');
  return at === -1 ? { path: url || '/', search: '' } : { path: url.slice(0, at) || '/', search: url.slice(at + 1) };
}

/**
 * The body an earlier layer parsed, if it is a real one. Some parsers (Express 4's, several
 * Koa ones) put an empty `{}` on every request they did not parse; while the stream is still
 * unread such a placeholder is ignored and the body is read from the stream instead.
 */
export function preParsedBody(req: IncomingMessage, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (req.readableEnded) return value;
  const placeholder =
    typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0;
  return placeholder ? undefined : value;
}

/** Builds the transport-neutral request from a Node request. */
export function requestFromNode(
  req: IncomingMessage,
  path: string,
  search: string,
  parsedBody?: unknown,
  res?: ServerResponse,
): GovernanceRequest {
  const request: GovernanceRequest = {
    method: req.method ?? 'GET',
    path,
    query: new URLSearchParams(search),
    headers: req.headers,
    body: (limit) => readBody(req, limit),
    parsedBody: preParsedBody(req, parsedBody),
  };
  if (res !== undefined) defineSignal(request, res);
  return request;
}

/**
 * Gives `request` a lazy `signal`, aborted when `res` closes (the client went away, or the
 * answer was sent): only the routes that wait (blocking queries) pay for the controller.
 */
export function defineSignal(request: GovernanceRequest, res: ServerResponse): void {
  let controller: AbortController | undefined;
  Object.defineProperty(request, 'signal', {
    enumerable: true,
    get(): AbortSignal {
      if (controller === undefined) {
        controller = new AbortController();
        const abort = (): void => controller!.abort(new Error('[core] the client went away'));
        if (res.closed || res.destroyed) abort();
        else res.once('close', abort);
      }
      return controller.signal;
    },
  });
}
