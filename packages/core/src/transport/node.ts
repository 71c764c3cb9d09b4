import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAdapterParts, type GovernanceAdapterOptions } from './adapter-options';
import { noRouteResponse } from './handler';
import type { GovernanceHandlerManager } from './handler-types';
import { normalizePrefix, requestFromNode, splitUrl, stripPrefix } from './node-io';

export type { GovernanceAdapterOptions, LingeringCloseOptions, UnknownRoutes } from './adapter-options';
export type { GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';

/** Options of `createNodeListener`. */
export interface NodeListenerOptions extends GovernanceAdapterOptions {
  /** Mount path, e.g. `/gov`: the API then answers `/gov/register`, `/gov/services`, … Default: the root. */
  prefix?: string;
}

/**
 * A `node:http` request listener, optionally with a third `next` argument (as routers such as
 * connect/polka pass it).
 *
 * Without `next`, every request is answered (unknown paths with a 404 JSON error). With
 * `next`, requests outside `prefix` are handed to `next()`, and so are unknown paths inside it
 * unless `unknownRoutes: 'respond'`.
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
  const { handle, writer, passUnknown, isRoute } = createAdapterParts(manager, options);
  const prefix = normalizePrefix(options.prefix);

  return (req, res, next) => {
    const { path: fullPath, search } = splitUrl(req.url ?? '/');
    const inner = stripPrefix(fullPath, prefix);
    if (next && (inner === undefined || (passUnknown && !isRoute(inner)))) {
      next();
      return;
    }
    if (inner === undefined) {
      writer.write(req, res, noRouteResponse(req.method ?? 'GET', fullPath));
      return;
    }
    const parsedBody = (req as IncomingMessage & { body?: unknown }).body;
    handle(requestFromNode(req, inner, search, parsedBody, res)).then(
      (response) => writer.write(req, res, response),
      (error: unknown) => {
        if (next) next(error);
        else res.destroy(error instanceof Error ? error : undefined);
      },
    );
  };
}
