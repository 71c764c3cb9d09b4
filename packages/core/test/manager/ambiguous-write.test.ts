import { Manager, StoreError, type ServiceRegistration, type StoreMutation } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { describe, expect, it } from 'vitest';

/**
 * A MemoryStore whose group commit can lose its answer: the batch is applied (or not), then the
 * call fails as if the connection had died during COMMIT — the caller cannot tell which.
 */
class LosingStore extends MemoryStore {
  mode: 'ok' | 'applied-then-lost' | 'failed' = 'ok';

  override async applyBatch(mutations: readonly StoreMutation[]): Promise<boolean[]> {
    if (this.mode === 'failed') throw new StoreError('store-memory', 'applyBatch', 'connection lost before COMMIT', { transient: true });
    const results = await super.applyBatch(mutations);
    if (this.mode === 'applied-then-lost') throw new StoreError('store-memory', 'applyBatch', 'connection lost during COMMIT', { transient: true });
    return results;
  }
}

const pod = (podName: string): ServiceRegistration => ({
  serviceName: 'amf',
  podName,
  providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
  healthCheckUrl: 'tcp://127.0.0.1:9',
  notificationUrl: 'http://127.0.0.1:9/notify',
  subscriptions: [],
});

describe('a write whose outcome is unknown (the connection died during COMMIT)', () => {
  const config = { healthCheckInterval: 3_600_000, storeRetry: { retries: 0 }, stopTimeout: 500 };

  it('is answered with the error, and the view then follows what the store really holds', async () => {
    const store = new LosingStore();
    const manager = new Manager(config, store);
    await manager.start();
    try {
      store.mode = 'applied-then-lost';
      await expect(manager.register(pod('amf-1'))).rejects.toBeInstanceOf(StoreError);
      expect((await manager.getService('amf:amf-1'))?.podName, 'stored after all: listed').toBe('amf-1');

      store.mode = 'failed';
      await expect(manager.register(pod('amf-2'))).rejects.toBeInstanceOf(StoreError);
      expect(await manager.getService('amf:amf-2'), 'never stored: not listed').toBeUndefined();

      store.mode = 'applied-then-lost';
      await expect(manager.unregister('amf', 'amf-1')).rejects.toBeInstanceOf(StoreError);
      expect(await manager.getService('amf:amf-1'), 'deleted after all: gone').toBeUndefined();
    } finally {
      store.mode = 'ok';
      await manager.stop();
    }
  });
});
