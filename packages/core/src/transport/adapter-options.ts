import { createGovernanceHandler, isGovernanceRoute, matchObservabilityRoute } from './handler';
import type { GovernanceHandler, GovernanceHandlerManager, GovernanceHandlerOptions } from './handler-types';
import { ResponseWriter, type LingeringCloseOptions } from './response-writer';

export type { LingeringCloseOptions } from './response-writer';

/** What an adapter does with a path that is not one of the API's routes. */
export type UnknownRoutes = 'next' | 'respond';

/** Options every adapter (Express, Koa, `node:http`) accepts on top of the handler's. */
export interface GovernanceAdapterOptions extends GovernanceHandlerOptions {
  /**
   * Paths that are not API routes: `'next'` (default) hands them to the host's next
   * middleware, so mounting the API at the root of an app never hides the app's own routes;
   * `'respond'` answers them with a 404 JSON error (for a mount path that belongs to the API
   * alone). A `node:http` listener called without `next` always answers 404.
   */
  unknownRoutes?: UnknownRoutes;
  /**
   * Bounds of the lingering close. When an answer leaves part of the request body unread (a
   * 413, a 415, a 401/403 before the body, …), the adapter sends it with `Connection: close`,
   * then reads and discards the rest of the body up to these bounds before closing, so the
   * client reads the answer instead of a connection reset.
   */
  lingeringClose?: LingeringCloseOptions;
}

/** The parts every adapter builds from its options. */
export interface AdapterParts {
  handle: GovernanceHandler;
  writer: ResponseWriter;
  /** True when unknown paths go to `next()`. */
  passUnknown: boolean;
  /** True when the handler answers `path`: an API route, or `/metrics` and `/ui` when those are served. */
  isRoute(path: string): boolean;
}

/** Validates the adapter options and builds the handler and the response writer. */
export function createAdapterParts(manager: GovernanceHandlerManager, options: GovernanceAdapterOptions): AdapterParts {
  const unknownRoutes = options.unknownRoutes ?? 'next';
  if (unknownRoutes !== 'next' && unknownRoutes !== 'respond') {
    throw new TypeError(`[core] unknownRoutes must be 'next' or 'respond', got ${JSON.stringify(options.unknownRoutes)}`);
  }
  return {
    handle: createGovernanceHandler(manager, options),
    writer: new ResponseWriter(options.lingeringClose),
    passUnknown: unknownRoutes === 'next',
    isRoute: (path) => isGovernanceRoute(path) || matchObservabilityRoute(path, options) !== undefined,
  };
}
