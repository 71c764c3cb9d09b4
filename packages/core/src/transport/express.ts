import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGovernanceHandler, isGovernanceRoute } from './handler';
import type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';
import { requestFromNode, splitUrl, writeNodeResponse } from './node-io';

export type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';

/** Options of `governanceRouter`. */
export interface GovernanceRouterOptions extends GovernanceHandlerOptions {
  /**
   * What to do with paths that are not API routes: `'respond'` (default) answers 404 JSON,
   * `'next'` hands them to the next middleware (useful when mounted at the app's root).
   */
  unknownRoutes?: 'respond' | 'next';
}

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
 * Routes are matched on `req.url`, which Express makes relative to the mount path. When a body
 * parser such as `express.json()` already set `req.body`, that value is used; otherwise the
 * body is streamed with the byte limit. Express is not a dependency: any framework passing
 * Node's `req`/`res` and a `next` works.
 */
export function governanceRouter(
  manager: GovernanceHandlerManager,
  options: GovernanceRouterOptions = {},
): GovernanceExpressMiddleware {
  const handle = createGovernanceHandler(manager, options);
  const passUnknown = options.unknownRoutes === 'next';

  return (req, res, next) => {
    const { path, search } = splitUrl(req.url ?? '/');
    if (passUnknown && !isGovernanceRoute(path)) {
      next();
      return;
    }
    handle(requestFromNode(req, path, search, req.body)).then(
      (response) => writeNodeResponse(req, res, response),
      next,
    );
  };
}
