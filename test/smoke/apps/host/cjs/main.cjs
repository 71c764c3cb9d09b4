// A plain CommonJS consumer: require() every public entry point, start and stop a manager on
// the memory store, print what it saw.
'use strict';
const { Manager } = require('@governance/core');
const { governanceRouter } = require('@governance/core/express');
const { governanceKoa } = require('@governance/core/koa');
const { createNodeListener } = require('@governance/core/node');
const { runStoreConformance } = require('@governance/core/testing');
const { collectMetrics } = require('@governance/core/prometheus');
const { createStatusPage } = require('@governance/core/ui');
const { GovernanceClient } = require('@governance/client');
const { MemoryStore } = require('@governance/store-memory');
const { MongoStore } = require('@governance/store-mongodb');
const { MySqlStore } = require('@governance/store-mysql');
const { PostgresStore } = require('@governance/store-postgres');

async function main() {
  const exported = { governanceRouter, governanceKoa, createNodeListener, runStoreConformance, collectMetrics, createStatusPage, GovernanceClient, MongoStore, MySqlStore, PostgresStore };
  const missing = Object.keys(exported).filter((name) => typeof exported[name] !== 'function');
  const manager = new Manager({ healthCheckInterval: 60_000 }, new MemoryStore());
  await manager.start();
  const running = manager.isRunning;
  await manager.stop();
  process.stdout.write(`${JSON.stringify({ missing, running })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
