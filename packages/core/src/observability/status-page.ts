import type { Manager } from '../manager/manager';
import type { GovernanceResponse, StatusPageHandler } from '../transport/handler-types';
import { EventLog } from './event-log';
import { STATUS_PAGE_CSS, STATUS_PAGE_JS } from './status-assets';
import { renderLive, renderPage, type StatusSnapshot } from './status-render';

export type { StatusPageHandler } from '../transport/handler-types';

/** The parts of a `Manager` the status page reads. */
export type StatusPageManager = Pick<Manager, 'on' | 'off' | 'stats' | 'getAllServicePods'>;

/** Options of {@link createStatusPage}. */
export interface StatusPageOptions {
  /** Page title. Default `Governance status`. */
  title?: string;
  /** How often the page's script fetches the live part again, in ms. Default 2000. */
  refreshMs?: number;
  /** Most pods listed in the pods table (the unhealthy and unknown first). Default 500. */
  maxPods?: number;
  /** Recent events kept. Default 50. */
  recentEvents?: number;
  /** Subscribers whose delivery health is kept (the least recently heard of is dropped). Default 1000. */
  maxSubscribers?: number;
}

/** A status page: pass it as the adapters' `statusPage` option to serve `GET /ui`; `close()` stops its listeners. */
export interface StatusPage extends StatusPageHandler {
  close(): void;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/**
 * A small, dependency-free, server-rendered status page of one manager: services and their pods
 * (status, last check, providers, subscriptions), delivery health per subscriber, recent events
 * and, in cluster mode, the members and their shares. Without JavaScript it is complete (and
 * refreshes itself every few seconds); with it, the live part updates in place by polling
 * `ui/live`. No inline code (strict CSP), no external fonts or CDNs.
 *
 * ```ts
 * import { createStatusPage } from '@governance/core/ui';
 * app.use(governanceRouter(manager, { statusPage: createStatusPage(manager) }));   // GET /ui
 * ```
 *
 * @throws TypeError naming a bad option.
 */
export function createStatusPage(manager: StatusPageManager, options: StatusPageOptions = {}): StatusPage {
  const refreshMs = positive(options.refreshMs, 'refreshMs', 2000);
  const maxPods = positive(options.maxPods, 'maxPods', 500);
  const title = options.title ?? 'Governance status';
  if (typeof title !== 'string' || title === '') throw new TypeError('[core] createStatusPage: title must be a non-empty string');
  const log = new EventLog(manager, {
    capacity: positive(options.recentEvents, 'recentEvents', 50),
    maxSubscribers: positive(options.maxSubscribers, 'maxSubscribers', 1000),
  });

  const snapshot = async (): Promise<StatusSnapshot> => ({
    title,
    now: new Date(),
    stats: manager.stats(),
    groups: await manager.getAllServicePods(),
    events: log.recent(),
    subscribers: log.subscribers(),
    maxPods,
  });

  return {
    async serve(path: string): Promise<GovernanceResponse> {
      switch (path) {
        case '':
        case '/':
          // Relative asset URLs: `/ui` needs `ui/app.css`, `/ui/` needs `app.css`.
          return html(renderPage(await snapshot(), path === '/' ? '' : 'ui/', refreshMs));
        case '/live':
          return html(renderLive(await snapshot()));
        case '/app.js':
          return asset('text/javascript; charset=utf-8', STATUS_PAGE_JS);
        case '/app.css':
          return asset('text/css; charset=utf-8', STATUS_PAGE_CSS);
        default:
          return { status: 404, headers: { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found\n' };
      }
    },
    close: () => log.close(),
  };
}

function html(body: string): GovernanceResponse {
  return { status: 200, headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' }, body };
}

function asset(contentType: string, body: string): GovernanceResponse {
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }, body };
}

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`[core] createStatusPage: ${name} must be a whole number of at least 1, got ${String(value)}`);
  }
  return value;
}
