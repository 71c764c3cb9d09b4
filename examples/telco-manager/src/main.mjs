import pino from 'pino';
import { formatDuration } from '@governance/core';
import { ConfigError, describeStore, loadConfig } from './config.mjs';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

/** Writes what the logger still buffers (before `process.exit`). */
let flushLog = () => {};

/**
 * pino at LOG_LEVEL, writing to stderr: human-readable through pino-pretty when stderr is a
 * terminal and pino-pretty is installed (a dev dependency), JSON lines otherwise. JSON lines are
 * written asynchronously (pino's recommended setup: a synchronous write per line costs a
 * registration about 2 × a file write) and flushed before the process exits.
 */
async function createLogger(level) {
  if (process.stderr.isTTY) {
    try {
      const { default: pretty } = await import('pino-pretty');
      return pino({ level }, pretty({ destination: 2, sync: true }));
    } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    }
  }
  const destination = pino.destination({ fd: 2, sync: false });
  flushLog = () => {
    try {
      destination.flushSync();
    } catch {
      // Nothing buffered, or the destination is not open yet: nothing to lose.
    }
  };
  return pino({ level }, destination);
}

const logger = await createLogger(config.logLevel);
const { startTelcoManager } = await import('./app.mjs');

let running;
try {
  running = await startTelcoManager({ env: process.env, logger });
} catch (error) {
  flushLog();
  process.stderr.write(`telco-manager: could not start (${describeStore(config.store)}): ${error?.message ?? error}\n`);
  process.exit(1);
}

// The manager logs registrations, status changes, failed notifications and errors itself.
const { port } = running;
const m = config.manager;
logger.info(
  {
    store: describeStore(config.store),
    healthCheckInterval: formatDuration(m.healthCheckInterval),
    healthCheckTimeout: formatDuration(m.healthCheckTimeout),
    healthCheckRetry: m.healthCheckRetry,
    notificationInterval: formatDuration(m.notificationInterval),
    notificationTimeout: formatDuration(m.notificationTimeout),
    eventQueueSize: m.eventQueueSize,
    wireProfile: m.wireProfile,
  },
  `telco-manager listening on port ${port}`,
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) {
      flushLog();
      process.stderr.write('telco-manager: second signal, exiting now\n');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => {
        flushLog();
        process.exit(0);
      },
      (error) => {
        flushLog();
        process.stderr.write(`telco-manager: shutdown failed: ${error?.message ?? error}\n`);
        process.exit(1);
      },
    );
  });
}
