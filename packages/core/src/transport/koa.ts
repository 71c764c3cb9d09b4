import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdapterParts, type GovernanceAdapterOptions } from './adapter-options';
import type { GovernanceHandlerManager } from './handler-types';
import { NodeGovernanceRequest, normalizePrefix, stripPrefix } from './node-io';

export type { GovernanceAdapterOptions, LingeringCloseOptions, UnknownRoutes } from './adapter-options';
export type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';

/** Options of `governanceKoa`. */
export interface GovernanceKoaOptions extends GovernanceAdapterOptions {
  /**
   * Mount path, e.g. `/gov`. Requests outside it always go to `next()`; unknown paths inside it
   * go to `next()` too unless `unknownRoutes: 'respond'`. Default: the root.
   */
  prefix?: string;
}

/** The parts of a Koa context the middleware uses (Koa 2 and 3 contexts satisfy it). */
export interface KoaLikeContext {
  req: IncomingMessage;
  /** Koa's `ctx.res`; when present, blocking queries stop waiting once the client goes away. */
  res?: ServerResponse;
  method: string;
  path: string;
  querystring: string;
  /** Koa's request; a body parser may have put the parsed body on `request.body`. */
  request: object;
  status: number;
  body: unknown;
  set(field: Record<string, string>): void;
}

/** A Koa middleware. */
export type GovernanceKoaMiddleware = (ctx: KoaLikeContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * Koa (2 and 3) middleware serving the Governance HTTP API:
 *
 * ```ts
 * app.use(governanceKoa(manager, { prefix: '/gov' }));
 * ```
 *
 * Paths that are not API routes go to `next()` unless `unknownRoutes: 'respond'`, so
 * `app.use(governanceKoa(manager))` sits in front of the app's own routes. A body already
 * parsed onto `ctx.request.body` (koa-bodyparser and friends) is used; otherwise the body is
 * streamed from `ctx.req` with the byte limit. Koa is not a dependency.
 */
export function governanceKoa(manager: GovernanceHandlerManager, options: GovernanceKoaOptions = {}): GovernanceKoaMiddleware {
  const { handle, writer, passUnknown, isRoute } = createAdapterParts(manager, options);
  const prefix = normalizePrefix(options.prefix);

  return async (ctx, next) => {
    const path = stripPrefix(ctx.path, prefix);
    if (path === undefined || (passUnknown && !isRoute(path))) {
      await next();
      return;
    }
    const request = new NodeGovernanceRequest(ctx.req, ctx.method, path, ctx.querystring, (ctx.request as { body?: unknown }).body, ctx.res);
    const response = await handle(request);
    if (response.stream !== undefined && ctx.res !== undefined) {
      // A watch stream is written by the adapter itself: a client closing it is normal, not an error for Koa to log.
      (ctx as { respond?: boolean }).respond = false;
      writer.write(ctx.req, ctx.res, response);
      return;
    }
    const answer = writer.finish(ctx.req, response);
    ctx.status = answer.status;
    ctx.set(answer.headers);
    ctx.body = answer.stream ?? answer.body;
  };
}
