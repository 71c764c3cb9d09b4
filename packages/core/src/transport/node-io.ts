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

/**
 * The transport-neutral request over a Node request. `query` and `signal` are made on first use
 * (most requests need neither: a registration has no query and never waits), so a request
 * costs one small object.
 */
export class NodeGovernanceRequest implements GovernanceRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly parsedBody: unknown;
  readonly #req: IncomingMessage;
  readonly #search: string;
  readonly #res: ServerResponse | undefined;
  #query: URLSearchParams | undefined;
  #controller: AbortController | undefined;

  constructor(req: IncomingMessage, method: string, path: string, search: string, parsedBody: unknown, res: ServerResponse | undefined) {
    this.method = method;
    this.path = path;
    this.headers = req.headers;
    this.parsedBody = preParsedBody(req, parsedBody);
    this.#req = req;
    this.#search = search;
    this.#res = res;
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#search));
  }

  /** Aborted when the response closes (the client went away, or the answer was sent); `undefined` without a response. */
  get signal(): AbortSignal | undefined {
    const res = this.#res;
    if (res === undefined) return undefined;
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const abort = (): void => controller.abort(new Error('[core] the client went away'));
      if (res.closed || res.destroyed) abort();
      else res.once('close', abort);
    }
    return this.#controller.signal;
  }

  body(limit: number): Promise<Buffer> {
    return readBody(this.#req, limit);
  }
}

/** Builds the transport-neutral request from a Node request. */
export function requestFromNode(
  req: IncomingMessage,
  path: string,
  search: string,
  parsedBody?: unknown,
  res?: ServerResponse,
): GovernanceRequest {
  return new NodeGovernanceRequest(req, req.method ?? 'GET', path, search, parsedBody, res);
}
