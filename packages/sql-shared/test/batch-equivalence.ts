import type { RegistryStore, ServiceStatus, StoreMutation } from '@governance/core';
import { makeService } from '@governance/core/testing';
import { MemoryStore } from '@governance/store-memory';
import { expect } from 'vitest';

/** A small deterministic PRNG, so a failing batch can be replayed from its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const STATUSES: ServiceStatus[] = ['healthy', 'unhealthy', 'unknown'];
const GROUPS = ['eir', 'udm', 'nrf'];

function randomBatch(next: () => number, round: number, size: number): StoreMutation[] {
  return Array.from({ length: size }, (_, i) => {
    const podName = `p${Math.floor(next() * 6)}`;
    const roll = next();
    if (roll < 0.45) {
      return {
        type: 'save',
        service: makeService({
          podName,
          subscriptions: GROUPS.filter(() => next() < 0.5),
          status: STATUSES[Math.floor(next() * 3)]!,
          updatedAt: new Date(Date.UTC(2026, 0, 1, 0, round, i)),
        }),
      };
    }
    if (roll < 0.7) return { type: 'delete', key: `http-gw:${podName}` };
    return { type: 'health', key: `http-gw:${podName}`, status: STATUSES[Math.floor(next() * 3)]!, at: new Date(Date.UTC(2026, 0, 2, 0, round, i)) };
  });
}

async function snapshot(store: RegistryStore) {
  const services = (await store.getAllServices()).sort((a, b) => a.podName.localeCompare(b.podName));
  const subscribers = await Promise.all(GROUPS.map(async (g) => [g, (await store.getSubscribers(g)).sort()]));
  return { services, subscribers };
}

/**
 * Applies random mixed batches to `store` and to a MemoryStore (which applies them one by one,
 * in order) and expects the same per-mutation results and the same final state every time.
 */
export async function expectBatchesMatchSequential(store: RegistryStore, rounds = 15, size = 24): Promise<void> {
  const reference = new MemoryStore();
  const next = random(20_260_305);
  for (let round = 0; round < rounds; round++) {
    const batch = randomBatch(next, round, size);
    const expected = await reference.applyBatch(batch);
    const actual = await store.applyBatch!(batch);
    expect(actual, `round ${round}`).toEqual(expected);
    expect(await snapshot(store), `round ${round}`).toEqual(await snapshot(reference));
  }
}
