import type http from 'node:http';
import { afterEach } from 'vitest';
import { Manager } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { TEST_CONFIG, listen, type MountedServer } from './scenarios';

/** What an adapter's own cases (beside `httpScenarios`) start; everything is closed after each test. */
export interface AdapterTestBed {
  /** A started manager on a fresh MemoryStore with the quick test settings. */
  startManager(): Promise<Manager>;
  /** Listens on 127.0.0.1:0 like `listen`, and closes the server after the test. */
  serve(server: http.Server, mountPath: string): Promise<MountedServer>;
}

/** Registers the `afterEach` cleanup; call inside the adapter's `describe`. */
export function adapterTestBed(): AdapterTestBed {
  let manager: Manager | undefined;
  let server: MountedServer | undefined;

  afterEach(async () => {
    await server?.close();
    await manager?.stop({ timeoutMs: 500 });
    server = undefined;
    manager = undefined;
  });

  return {
    async startManager() {
      manager = new Manager(TEST_CONFIG, new MemoryStore());
      await manager.start();
      return manager;
    },
    async serve(httpServer, mountPath) {
      server = await listen(httpServer, mountPath);
      return server;
    },
  };
}
