// A consumer's TypeScript program, compiled twice by the smoke test: as ESM with
// `module: nodenext` (tsconfig.esm.json) and as CommonJS with `moduleResolution: node`
// (tsconfig.node10.json). It imports every public entry point, starts a manager on the memory
// store behind node:http, registers a pod through the client, and prints what it saw.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Manager, ValidationError, type ManagerConfigInput } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { governanceKoa } from '@governance/core/koa';
import { createNodeListener } from '@governance/core/node';
import { collectMetrics } from '@governance/core/prometheus';
import { createStatusPage } from '@governance/core/ui';
import { makeService, runStoreConformance, type ConformanceRunner } from '@governance/core/testing';
import { GovernanceClient, type RegistrationInput } from '@governance/client';
import { MemoryStore } from '@governance/store-memory';
import { MongoStore } from '@governance/store-mongodb';
import { MySqlStore } from '@governance/store-mysql';
import { PostgresStore } from '@governance/store-postgres';

async function main(): Promise<void> {
  const exported = { governanceRouter, governanceKoa, runStoreConformance, makeService, collectMetrics, createStatusPage };
  const missing = Object.entries(exported).filter(([, value]) => typeof value !== 'function').map(([name]) => name);
  // node:test's functions fit the suite's runner type as they are (checked by tsc).
  const runner: ConformanceRunner = { describe, it };

  // The database stores are built without connecting; closing them must not hang.
  const stores = [
    new PostgresStore({ connectionString: 'postgres://app@127.0.0.1:1/governance?sslmode=require&application_name=smoke' }),
    new MySqlStore({ connectionString: 'mysql://app@127.0.0.1:1/governance' }),
    new MongoStore({ uri: 'mongodb://127.0.0.1:1/governance' }),
  ];
  await Promise.all(stores.map((store) => store.close()));

  let rejected = '';
  try {
    new Manager({ healthCheckInterval: -1 } as ManagerConfigInput, new MemoryStore());
  } catch (error) {
    if (error instanceof ValidationError) rejected = error.errors.map((e) => e.path).join();
  }

  const manager = new Manager({ healthCheckInterval: 60_000 }, new MemoryStore());
  await manager.start();
  const server = createServer(createNodeListener(manager));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const client = new GovernanceClient({ managerUrl: `http://127.0.0.1:${port}`, serviceName: 'smoke', podName: 'smoke-1' });
    const registration: RegistrationInput = {
      providers: [{ protocol: 'http', ip: '127.0.0.1', port: 9 }],
      healthCheckUrl: 'tcp://127.0.0.1:9',
      notificationUrl: 'http://127.0.0.1:9/notify',
    };
    const first = await client.register(registration);
    const again = await client.register(registration);
    const services = await client.listServices();
    const report = {
      missing,
      runner: typeof runner.it,
      rejected,
      outcomes: [first.outcome, again.outcome],
      stored: first.service?.podName,
      services: services.map((s) => `${s.serviceName}:${s.podName}`),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await manager.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
