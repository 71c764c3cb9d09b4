import type { RegistryStore } from '../store';

/** Resolves whether `promise` settled within `ms` (true) or the time ran out first (false). */
export async function withDeadline(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Pings the store, giving up (and aborting the ping) after `ms`: a black-holed database must
 * not hang `/health`.
 */
export async function pingWithin(store: RegistryStore, ms: number): Promise<void> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`[core] the store (${store.name}) did not answer a ping within ${ms} ms; check the database and the network to it`));
    }, ms);
  });
  try {
    await Promise.race([store.ping({ signal: controller.signal }), expired]);
  } finally {
    clearTimeout(timer);
  }
}
