import type http from 'node:http';
import { afterEach } from 'vitest';
import { Manager, type ManagerConfigInput } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { TEST_CONFIG, listen, type MountedServer } from './scenarios';

/** What a test of the HTTP API starts; everything is closed after each test. */
export interface AdapterTestBed {
  /** A started manager on a fresh MemoryStore, with the quick test settings unless `config` is given. */
  startManager(config?: ManagerConfigInput): Promise<Manager>;
  /** Listens on 127.0.0.1:0 like `listen`, and closes the server after the test. */
  serve(server: http.Server, mountPath: string): Promise<MountedServer>;
}

/** Registers the `afterEach` cleanup; call inside the `describe`. */
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
    async startManager(config = TEST_CONFIG) {
      manager = new Manager(config, new MemoryStore());
      await manager.start();
      return manager;
    },
    async serve(httpServer, mountPath) {
      server = await listen(httpServer, mountPath);
      return server;
    },
  };
}
