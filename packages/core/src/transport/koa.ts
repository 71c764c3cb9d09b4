import type { IncomingMessage } from 'node:http';
import { readBody } from './body-reader';
import { createGovernanceHandler, isGovernanceRoute } from './handler';
import type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';
import { normalizePrefix, preParsedBody, stripPrefix } from './node-io';

export type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';

/** Options of `governanceKoa`. */
export interface GovernanceKoaOptions extends GovernanceHandlerOptions {
  /**
   * Mount path, e.g. `/gov`. Requests outside it go to `next()`; unknown paths inside it get a
   * 404 JSON error. Without a prefix the API answers at the root and every other path goes to
   * `next()`, so the middleware can sit in front of the host's own routes.
   */
  prefix?: string;
}

/** The parts of a Koa context the middleware uses (Koa 2 and 3 contexts satisfy it). */
export interface KoaLikeContext {
  req: IncomingMessage;
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
 * A body already parsed onto `ctx.request.body` (koa-bodyparser and friends) is used; otherwise
 * the body is streamed from `ctx.req` with the byte limit. Koa is not a dependency.
 */
export function governanceKoa(manager: GovernanceHandlerManager, options: GovernanceKoaOptions = {}): GovernanceKoaMiddleware {
  const handle = createGovernanceHandler(manager, options);
  const prefix = normalizePrefix(options.prefix);

  return async (ctx, next) => {
    const path = stripPrefix(ctx.path, prefix);
    if (path === undefined || (prefix === '' && !isGovernanceRoute(path))) {
      await next();
      return;
    }
    const response = await handle({
      method: ctx.method,
      path,
      query: new URLSearchParams(ctx.querystring),
      headers: ctx.req.headers,
      body: (limit) => readBody(ctx.req, limit),
      parsedBody: preParsedBody(ctx.req, (ctx.request as { body?: unknown }).body),
    });
    ctx.status = response.status;
    ctx.set(response.headers);
    ctx.body = response.body;
  };
}
