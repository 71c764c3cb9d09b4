import express from 'express';
import { Manager } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { collectMetrics } from '@governance/core/prometheus';
import { createStatusPage } from '@governance/core/ui';
import { loadConfig } from './config.mjs';
import { createStore } from './store-factory.mjs';

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
    server = await listen(app, options.port ?? config.port, options.host);
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

function listen(app, port, host) {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error) => {
      if (error) reject(error);
      else resolve(server);
    });
    server.once('error', reject);
  });
}
