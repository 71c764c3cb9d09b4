import http from 'node:http';
import express from 'express';
import { Manager } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { collectMetrics } from '@governance/core/prometheus';
import { createStatusPage } from '@governance/core/ui';
import { loadConfig } from './config.mjs';
import { createStore } from './store-factory.mjs';

/**
 * Limits of the inbound HTTP server (see "Recommended server setup" in core's README):
 * - `headersTimeout` 10 s: a connection that has not sent its request headers by then is closed
 *   (Node's default is 60 s). Node applies it only once a request's first byte has arrived, so
 *   a connection that sends nothing gets the same limit as an inactivity timeout until its first
 *   request (see `listen`);
 * - `requestTimeout` 30 s: the whole request (headers and body) must arrive within it; answers,
 *   watch streams and blocking queries are not limited by it;
 * - `keepAliveTimeout` 5 s: an idle keep-alive connection is closed after it;
 * - `maxConnections` 4,096: connections beyond it are closed at once, so inbound sockets never
 *   use the descriptors the manager needs for its own probes, deliveries and store connections;
 * - `connectionsCheckingInterval` 1 s: how often the two timeouts are checked (default 30 s).
 */
export const SERVER_LIMITS = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxConnections: 4_096,
  connectionsCheckingInterval: 1_000,
});

/**
 * Starts the telco governance manager: an Express app with the Governance API mounted at its
 * root (so the Go example's `curl` calls work unchanged), on the store the environment names,
 * with Prometheus metrics at `GET /metrics` and the status page at `GET /ui`.
 *
 * @param {object} [options]
 * @param {Record<string, string | undefined>} [options.env] variables to read (default `process.env`)
 * @param {number} [options.port] overrides SERVER_PORT (0 picks a free port)
 * @param {string} [options.host] interface to bind (default: all interfaces, like the Go example)
 * @param {import('@governance/core').Logger} [options.logger] pino-compatible logger for the manager
 * @param {Partial<import('@governance/core').ManagerConfigInput>} [options.managerOverrides] extra Manager settings
 * @param {Partial<typeof SERVER_LIMITS>} [options.serverLimits] overrides of {@link SERVER_LIMITS}
 * @returns {Promise<{ manager: Manager, server: import('node:http').Server, port: number, config: object, close(): Promise<void> }>}
 * @throws {import('./config.mjs').ConfigError} for a bad variable; the store's error when it cannot start
 */
export async function startTelcoManager(options = {}) {
  const config = loadConfig(options.env ?? process.env);
  const store = await createStore(config.store);
  const manager = new Manager({ ...config.manager, ...options.managerOverrides, logger: options.logger }, store);
  try {
    await manager.start();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }

  const metrics = collectMetrics(manager);
  const statusPage = createStatusPage(manager, { title: 'Telco governance manager' });
  const app = express();
  app.disable('x-powered-by');
  app.use(governanceRouter(manager, { metrics, statusPage }));

  let server;
  try {
    server = await listen(app, options.port ?? config.port, options.host, { ...SERVER_LIMITS, ...options.serverLimits });
  } catch (error) {
    metrics.close();
    statusPage.close();
    await manager.stop();
    throw error;
  }

  let closing;
  const close = () => {
    closing ??= (async () => {
      await new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      metrics.close();
      statusPage.close();
      await manager.stop();
    })();
    return closing;
  };

  return { manager, server, port: server.address().port, config, close };
}

function listen(app, port, host, limits) {
  const { maxConnections, ...serverOptions } = limits;
  return new Promise((resolve, reject) => {
    const server = http.createServer(serverOptions, app);
    server.maxConnections = maxConnections;
    // A connection that never sends a byte: Node's headersTimeout does not cover it.
    server.on('connection', (socket) => socket.setTimeout(serverOptions.headersTimeout, () => socket.destroy()));
    server.on('request', (req) => req.socket.setTimeout(0));
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
