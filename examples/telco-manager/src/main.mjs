import { ConfigError, describeStore, loadConfig } from './config.mjs';
import { consoleLogger } from './console-logger.mjs';
import { formatGoDuration } from './duration.mjs';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

const { startTelcoManager } = await import('./app.mjs');
const logger = consoleLogger(process.env.LOG_LEVEL || 'info');

let running;
try {
  running = await startTelcoManager({ env: process.env, logger });
} catch (error) {
  process.stderr.write(`telco-manager: could not start (${describeStore(config.store)}): ${error?.message ?? error}\n`);
  process.exit(1);
}

const { manager, port } = running;
manager.on('registered', (s, outcome) => logger.info({ pod: `${s.serviceName}:${s.podName}`, outcome }, 'registered'));
manager.on('unregistered', (s) => logger.info({ pod: `${s.serviceName}:${s.podName}` }, 'unregistered'));
manager.on('statusChanged', (s, previous) =>
  logger.info({ pod: `${s.serviceName}:${s.podName}`, from: previous, to: s.status }, 'status changed'),
);
manager.on('notificationFailed', (f) => logger.warn({ subscriber: f.subscriberKey, group: f.group, error: f.error }, 'notification failed'));
manager.on('error', (error) => logger.error({ error }, 'manager error'));

const m = config.manager;
logger.info(
  {
    store: describeStore(config.store),
    healthCheckInterval: formatGoDuration(m.healthCheckInterval),
    healthCheckTimeout: formatGoDuration(m.healthCheckTimeout),
    healthCheckRetry: m.healthCheckRetry,
    notificationInterval: formatGoDuration(m.notificationInterval),
    notificationTimeout: formatGoDuration(m.notificationTimeout),
    eventQueueSize: m.eventQueueSize,
    wireProfile: m.wireProfile,
  },
  `telco-manager listening on port ${port}`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) {
      process.stderr.write('telco-manager: second signal, exiting now\n');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`telco-manager: shutdown failed: ${error?.message ?? error}\n`);
        process.exit(1);
      },
    );
  });
}
