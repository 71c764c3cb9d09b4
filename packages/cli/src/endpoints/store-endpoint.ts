import type { RegistryStore, ServiceInfo, StoreMutation } from '@governance/core';
import type { Endpoint } from './endpoint';

/** Pods saved at once by a store without `applyBatch`. */
const SAVE_CONCURRENCY = 8;

/** An {@link Endpoint} on a `RegistryStore`: writes go through `applyBatch` (one transaction per call) when the store has it. */
export class StoreEndpoint implements Endpoint {
  readonly kind = 'store';
  readonly label: string;
  readonly #store: RegistryStore;

  constructor(store: RegistryStore, label: string) {
    this.#store = store;
    this.label = label;
  }

  readAll(signal?: AbortSignal): Promise<ServiceInfo[]> {
    return this.#store.getAllServices({ signal });
  }

  async write(pods: readonly ServiceInfo[], signal?: AbortSignal): Promise<void> {
    if (pods.length === 0) return;
    if (this.#store.applyBatch) {
      const mutations: StoreMutation[] = pods.map((service) => ({ type: 'save', service }));
      await this.#store.applyBatch(mutations, { signal });
      return;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pods.length) {
        const pod = pods[next++]!;
        await this.#store.saveService(pod, { signal });
      }
    };
    await Promise.all(Array.from({ length: Math.min(SAVE_CONCURRENCY, pods.length) }, worker));
  }

  async subscriptionPairs(signal?: AbortSignal): Promise<number> {
    return (await this.#store.stats({ signal })).subscriptions;
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
