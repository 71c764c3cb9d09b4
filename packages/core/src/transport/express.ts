import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdapterParts, type GovernanceAdapterOptions } from './adapter-options';
import type { GovernanceHandlerManager } from './handler-types';
import { requestFromNode, splitUrl } from './node-io';

export type { GovernanceAdapterOptions, LingeringCloseOptions, UnknownRoutes } from './adapter-options';
export type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';

/** Options of `governanceRouter`: the adapter options (`unknownRoutes`, `lingeringClose`, `bodyLimit`, …). */
export type GovernanceRouterOptions = GovernanceAdapterOptions;

/** The parts of an Express request the middleware uses (Express's `req` satisfies it). */
export type ExpressLikeRequest = IncomingMessage & { body?: unknown };

/** An Express-compatible middleware: `(req, res, next) => void`. */
export type GovernanceExpressMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Express (4 and 5) middleware serving the Governance HTTP API below its mount path:
 *
 * ```ts
 * app.use('/gov', governanceRouter(manager));   // POST /gov/register, GET /gov/services, …
 * ```
 *
 * Routes are matched on `req.url`, which Express makes relative to the mount path; other paths
 * go to `next()` unless `unknownRoutes: 'respond'`, so `app.use(governanceRouter(manager))` at
 * the root leaves the app's own routes alone. When a body parser such as `express.json()`
 * already set `req.body`, that value is used; otherwise the body is streamed with the byte
 * limit. Express is not a dependency: any framework passing Node's `req`/`res` and a `next` works.
 */
export function governanceRouter(
  manager: GovernanceHandlerManager,
  options: GovernanceRouterOptions = {},
): GovernanceExpressMiddleware {
  const { handle, writer, passUnknown, isRoute } = createAdapterParts(manager, options);

  return (req, res, next) => {
    const { path, search } = splitUrl(req.url ?? '/');
    if (passUnknown && !isRoute(path)) {
      next();
      return;
    }
    handle(requestFromNode(req, path, search, req.body, res)).then(
      (response) => writer.write(req, res, response),
      next,
    );
  };
}
