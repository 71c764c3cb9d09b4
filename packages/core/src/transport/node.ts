import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGovernanceHandler, isGovernanceRoute } from './handler';
import type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';
import { normalizePrefix, requestFromNode, splitUrl, stripPrefix, writeNodeResponse } from './node-io';

export type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';

/** Options of `createNodeListener`. */
export interface NodeListenerOptions extends GovernanceHandlerOptions {
  /** Mount path, e.g. `/gov`: the API then answers `/gov/register`, `/gov/services`, … Default: the root. */
  prefix?: string;
}

/**
 * A `node:http` request listener, optionally with a third `next` argument (as routers such as
 * connect/polka pass it).
 *
 * Without `next`, every request is answered (unknown paths with a 404 JSON error). With
 * `next`, requests outside `prefix` or to unknown routes are handed to `next()` instead.
 */
export type GovernanceNodeListener = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * Serves the Governance HTTP API from a `node:http` server:
 *
 * ```ts
 * http.createServer(createNodeListener(manager, { prefix: '/gov' })).listen(8080);
 * ```
 *
 * A body that another layer already parsed onto `req.body` is used instead of reading the stream.
 */
export function createNodeListener(manager: GovernanceHandlerManager, options: NodeListenerOptions = {}): GovernanceNodeListener {
  const handle = createGovernanceHandler(manager, options);
  const prefix = normalizePrefix(options.prefix);

  return (req, res, next) => {
    const { path: fullPath, search } = splitUrl(req.url ?? '/');
    const inner = stripPrefix(fullPath, prefix);
    if (next && (inner === undefined || !isGovernanceRoute(inner))) {
      next();
      return;
    }
    const parsedBody = (req as IncomingMessage & { body?: unknown }).body;
    handle(requestFromNode(req, inner ?? fullPath, search, parsedBody)).then(
      (response) => writeNodeResponse(req, res, response),
      (error: unknown) => {
        if (next) next(error);
        else res.destroy(error instanceof Error ? error : undefined);
      },
    );
  };
}
