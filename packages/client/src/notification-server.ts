import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createNotificationHandler,
  type NotificationCallback,
  type NotificationHandler,
  type NotificationHandlerOptions,
} from './notification-handler.js';

/** Options of `NotificationServer`. */
export interface NotificationServerOptions extends NotificationHandlerOptions {
  /** Port to listen on; 0 picks a free one (see the value `start()` resolves with). */
  port: number;
  /** Interface to bind. Default `0.0.0.0`. */
  host?: string;
  /** Receives each accepted notification (see `createNotificationHandler`). */
  onNotification: NotificationCallback;
  /**
   * Decides what `GET /health` reports: `true` → 200 healthy, `false` → 503 unhealthy.
   * Default: always healthy. A throwing or rejecting check counts as unhealthy.
   */
  health?: () => boolean | Promise<boolean>;
}

/**
 * A standalone `node:http` server for a pod that has no web framework, like the Go client's
 * notification server: `POST /notify` receives notifications, `GET /health` answers
 * 200 `{"status":"healthy"}` or, when the `health` option says so, 503 `{"status":"unhealthy"}`
 * (usable as the pod's `health_check_url`), anything else 404.
 */
export class NotificationServer {
  readonly #options: NotificationServerOptions;
  readonly #handler: NotificationHandler;
  #server: Server | undefined;

  constructor(options: NotificationServerOptions) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new TypeError(`[client] option port must be an integer from 0 to 65535, got ${String(options.port)}`);
    }
    if (typeof options.onNotification !== 'function') {
      throw new TypeError('[client] option onNotification must be a function');
    }
    this.#options = options;
    this.#handler = createNotificationHandler(options.onNotification, options);
  }

  /** The port the server listens on, once started. */
  get port(): number | undefined {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.#server) throw new Error('[client] NotificationServer is already started; call stop() first');
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/notify') return this.#handler(req, res);
      if (path === '/health') {
        res.setHeader('content-type', 'application/json; charset=utf-8');
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.statusCode = 405;
          res.setHeader('allow', 'GET, HEAD');
          res.end(JSON.stringify({ error: '[client] use GET /health' }));
          return;
        }
        void this.#healthy().then((ok) => {
          res.statusCode = ok ? 200 : 503;
          res.end(JSON.stringify({ status: ok ? 'healthy' : 'unhealthy' }));
        });
        return;
      }
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ error: `[client] no route ${req.method} ${path}; use POST /notify or GET /health` }));
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      this.#server = undefined;
      throw error;
    });
    return this.port!;
  }

  async #healthy(): Promise<boolean> {
    try {
      return (await (this.#options.health?.() ?? true)) === true;
    } catch {
      return false;
    }
  }

  /** Stops accepting connections, closes idle ones, and resolves once the server is closed. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeIdleConnections();
    });
  }
}
