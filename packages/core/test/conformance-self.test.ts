/**
 * The conformance suite must be able to fail. Each "mutant" below is a MemoryStore with one
 * deliberate, realistic defect; the named checks must reject against it (the unmodified
 * MemoryStore passes every check, with `inspect` wired in: store-memory's own test file runs the
 * suite once). Through a runner that records what the suite defines: a store without
 * `applyBatch` has the batch checks skipped with a reason and passes the rest, and a skipped
 * suite never calls `create`.
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError, applyMutationsSequentially, cloneService, keyOf, type RegistryStore, type ServiceInfo, type ServiceStatus } from '@governance/core';
import {
  batchChecks,
  concurrencyChecks,
  copyChecks,
  lifecycleChecks,
  roundtripChecks,
  runStoreConformance,
  serviceChecks,
  subscriptionChecks,
  CONCURRENT_CALLS,
  type ConformanceRunner,
  type ConformanceTestContext,
  type StoreCheck,
  type StoreChecks,
  type StoreInspector,
} from '@governance/core/testing';
import { MemoryStore } from '@governance/store-memory';
import { CONFORMANCE_TESTS, COORDINATION_CONFORMANCE_TESTS, CORE_CONFORMANCE_TESTS } from '../../../test/support/conformance-checks';

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Returns one shared object per pod for every read: by default the very object it was given to
 * save (no copy on write, no copy on read), or what `share` makes of it.
 */
class SharedReferencesStore extends MemoryStore {
  readonly #saved = new Map<string, ServiceInfo>();
  constructor(readonly share: (service: ServiceInfo) => ServiceInfo = (service) => service) {
    super();
  }
  override async saveService(service: ServiceInfo): Promise<void> {
    await super.saveService(service);
    this.#saved.set(keyOf(service), this.share(service));
  }
  override async getService(key: string): Promise<ServiceInfo | undefined> {
    return (await super.getService(key)) && this.#saved.get(key);
  }
  override async getServicesByName(name: string): Promise<ServiceInfo[]> {
    return (await super.getServicesByName(name)).map((s) => this.#saved.get(keyOf(s))!);
  }
  override async getAllServices(): Promise<ServiceInfo[]> {
    return (await super.getAllServices()).map((s) => this.#saved.get(keyOf(s))!);
  }
}

/** A copy frozen at the top only: its arrays, providers and dates can still be changed. */
const frozenOnTop = (service: ServiceInfo): ServiceInfo => Object.freeze(cloneService(service));

/** A copy frozen all the way down, except that Object.freeze does not stop a Date's setters. */
const frozenWithLiveDates = (service: ServiceInfo): ServiceInfo => {
  const copy = cloneService(service);
  for (const p of copy.providers) Object.freeze(p);
  Object.freeze(copy.providers);
  Object.freeze(copy.subscriptions);
  for (const d of [copy.lastHealthCheck, copy.registeredAt, copy.updatedAt]) Object.freeze(d);
  return Object.freeze(copy);
};

/** Saves by reading the whole table, waiting a round trip, and writing it all back. */
class LostSavesStore extends MemoryStore {
  override async saveService(service: ServiceInfo): Promise<void> {
    const snapshot = await super.getAllServices();
    await yieldTurn();
    await super.clear();
    for (const pod of snapshot) await super.saveService(pod);
    await super.saveService(service);
  }
}

/** Optimistic subscription writes that are silently dropped when another write got there first. */
class LostSubscriptionsStore extends MemoryStore {
  #version = 0;
  override async addSubscription(subscriberKey: string, serviceGroup: string): Promise<void> {
    const seen = this.#version;
    await yieldTurn();
    if (seen !== this.#version) return;
    this.#version++;
    await super.addSubscription(subscriberKey, serviceGroup);
  }
}

/** removeAllSubscriptions scoped to the subscriber's service instead of the pod (`LIKE 'eir:%'`). */
class OverreachingUnsubscribeStore extends MemoryStore {
  readonly #pairs = new Set<string>();
  override async addSubscription(subscriberKey: string, serviceGroup: string): Promise<void> {
    await super.addSubscription(subscriberKey, serviceGroup);
    this.#pairs.add(JSON.stringify([subscriberKey, serviceGroup]));
  }
  override async removeAllSubscriptions(subscriberKey: string): Promise<void> {
    const prefix = subscriberKey.split(':')[0] + ':';
    for (const pair of this.#pairs) {
      const [subscriber, group] = JSON.parse(pair) as [string, string];
      if (subscriber.startsWith(prefix)) await super.removeSubscription(subscriber, group);
    }
  }
}

/** saveService adds the new subscriptions but never drops the old ones. */
class StaleIndexStore extends MemoryStore {
  override async saveService(service: ServiceInfo): Promise<void> {
    const before = await super.getService(keyOf(service));
    await super.saveService(service);
    for (const group of before?.subscriptions ?? []) await super.addSubscription(keyOf(service), group);
  }
}

/** deleteService removes the record but leaves its subscriptions behind. */
class OrphanSubscriptionsStore extends MemoryStore {
  override async deleteService(key: string): Promise<boolean> {
    const before = await super.getService(key);
    const existed = await super.deleteService(key);
    for (const group of before?.subscriptions ?? []) await super.addSubscription(key, group);
    return existed;
  }
}

/** Stores timestamps with second precision (a DATETIME column without fractional seconds). */
class SecondsOnlyStore extends MemoryStore {
  override async saveService(service: ServiceInfo): Promise<void> {
    const seconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
    await super.saveService({
      ...service,
      lastHealthCheck: seconds(service.lastHealthCheck),
      registeredAt: seconds(service.registeredAt),
      updatedAt: seconds(service.updatedAt),
    });
  }
}

/** Treats a missing key as an error instead of reporting `false`. */
class ThrowingNotFoundStore extends MemoryStore {
  override async deleteService(key: string): Promise<boolean> {
    if (!(await super.deleteService(key))) throw new NotFoundError(`no pod ${key}`);
    return true;
  }
  override async updateHealthStatus(key: string, status: ServiceStatus, at: Date): Promise<boolean> {
    if (!(await super.updateHealthStatus(key, status, at))) throw new NotFoundError(`no pod ${key}`);
    return true;
  }
}

/** Matches service names with LIKE, so `_` and `%` act as wildcards. */
class PatternByNameStore extends MemoryStore {
  override async getServicesByName(name: string): Promise<ServiceInfo[]> {
    const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`);
    return (await super.getAllServices()).filter((s) => pattern.test(s.serviceName));
  }
}

/** Compares service names case-insensitively, like a `_ci` collation in MySQL. */
class CaseInsensitiveStore extends MemoryStore {
  override async getServicesByName(name: string): Promise<ServiceInfo[]> {
    return (await super.getAllServices()).filter((s) => s.serviceName.toLowerCase() === name.toLowerCase());
  }
}

/** Coerces malformed fields instead of rejecting (NULL providers, a zero date). */
class PermissiveStore extends MemoryStore {
  override async saveService(service: ServiceInfo): Promise<void> {
    const valid = (d: Date) => (Number.isNaN(d.getTime()) ? new Date(0) : d);
    await super.saveService({
      ...service,
      providers: service.providers ?? [],
      lastHealthCheck: valid(service.lastHealthCheck),
      registeredAt: valid(service.registeredAt),
      updatedAt: valid(service.updatedAt),
    });
  }
}

/** applyBatch as one single call after another: not all-or-nothing. */
class SequentialBatchStore extends MemoryStore {
  override async applyBatch(mutations: Parameters<MemoryStore['applyBatch']>[0]): Promise<boolean[]> {
    return applyMutationsSequentially(this, mutations);
  }
}

/** close() does nothing: the store keeps answering afterwards. */
class IgnoresCloseStore extends MemoryStore {
  override async close(): Promise<void> {}
}

/** applyBatch applies the mutations last to first (results still mapped to their positions). */
class ReversedBatchStore extends MemoryStore {
  override async applyBatch(mutations: Parameters<MemoryStore['applyBatch']>[0]): Promise<boolean[]> {
    return (await super.applyBatch([...mutations].reverse())).reverse();
  }
}

type Mutant = {
  defect: string;
  create: () => RegistryStore;
  /** Checks that must fail, by group and name. */
  caughtBy: Array<[StoreChecks, string]>;
  /** Checks the mutant still passes, showing the failures above are specific. */
  stillPasses?: Array<[StoreChecks, string]>;
  /** The failure is the store's own error rather than an assertion. */
  storeThrows?: boolean;
};

const N = CONCURRENT_CALLS;

const mutants: Mutant[] = [
  {
    defect: 'shares references with callers',
    create: () => new SharedReferencesStore(),
    caughtBy: [
      [copyChecks, 'mutating the object passed to saveService does not change the store'],
      [copyChecks, 'mutating a getService result does not change the store'],
      [copyChecks, 'two reads share no mutable object, and never the saved one'],
      [copyChecks, 'mutating getServicesByName and getAllServices results does not change the store'],
    ],
    stillPasses: [[serviceChecks, 'saveService then getService returns an equal record']],
  },
  {
    defect: 'shares records that are frozen only at the top',
    create: () => new SharedReferencesStore(frozenOnTop),
    caughtBy: [
      [copyChecks, 'mutating a getService result does not change the store'],
      [copyChecks, 'two reads share no mutable object, and never the saved one'],
      [copyChecks, 'mutating getServicesByName and getAllServices results does not change the store'],
    ],
    stillPasses: [[copyChecks, 'mutating the object passed to saveService does not change the store']],
  },
  {
    defect: 'shares frozen records whose Dates can still be set',
    create: () => new SharedReferencesStore(frozenWithLiveDates),
    caughtBy: [
      [copyChecks, 'mutating a getService result does not change the store'],
      [copyChecks, 'two reads share no mutable object, and never the saved one'],
      [copyChecks, 'mutating getServicesByName and getAllServices results does not change the store'],
    ],
    stillPasses: [[copyChecks, 'mutating the object passed to saveService does not change the store']],
  },
  {
    defect: 'loses concurrent saves (read-modify-write of the whole table)',
    create: () => new LostSavesStore(),
    caughtBy: [[concurrencyChecks, `${N} concurrent saves of distinct pods lose nothing`]],
    stillPasses: [
      [serviceChecks, 'getAllServices returns every pod'],
      [serviceChecks, 'saveService of an existing key replaces it, keeping one record per key'],
    ],
  },
  {
    defect: 'drops subscriptions written concurrently',
    create: () => new LostSubscriptionsStore(),
    caughtBy: [[concurrencyChecks, `${N} concurrent subscription changes lose nothing`]],
    stillPasses: [
      [subscriptionChecks, 'addSubscription is idempotent'],
      [subscriptionChecks, 'getSubscribers lists every subscriber of a group and only them'],
    ],
  },
  {
    defect: 'removeAllSubscriptions removes other pods\' subscriptions',
    create: () => new OverreachingUnsubscribeStore(),
    caughtBy: [[subscriptionChecks, 'removeAllSubscriptions touches only that subscriber and is idempotent']],
  },
  {
    defect: 'saveService keeps stale subscriptions',
    create: () => new StaleIndexStore(),
    caughtBy: [[subscriptionChecks, 'saveService replaces the pod\'s subscription index with its new list']],
    stillPasses: [[subscriptionChecks, 'saveService indexes the pod under each of its subscriptions']],
  },
  {
    defect: 'deleteService leaves subscriptions behind',
    create: () => new OrphanSubscriptionsStore(),
    caughtBy: [
      [subscriptionChecks, 'deleteService removes the pod\'s subscriptions, nobody else\'s'],
      [lifecycleChecks, 'stats counts pods and subscription pairs'],
    ],
  },
  {
    defect: 'truncates timestamps to seconds',
    create: () => new SecondsOnlyStore(),
    caughtBy: [
      [roundtripChecks, 'timestamps round-trip to the millisecond'],
      [serviceChecks, 'saveService then getService returns an equal record'],
    ],
  },
  {
    defect: 'throws on a missing key',
    create: () => new ThrowingNotFoundStore(),
    caughtBy: [
      [serviceChecks, 'deleteService of a missing key resolves false without throwing'],
      [serviceChecks, 'updateHealthStatus of a missing key resolves false and creates nothing'],
    ],
    storeThrows: true,
  },
  {
    defect: 'treats _ and % in service names as wildcards',
    create: () => new PatternByNameStore(),
    caughtBy: [[serviceChecks, 'getServicesByName treats % and _ literally, not as patterns']],
    stillPasses: [[serviceChecks, 'getServicesByName returns exactly the pods of that service']],
  },
  {
    defect: 'matches service names case-insensitively',
    create: () => new CaseInsensitiveStore(),
    caughtBy: [[roundtripChecks, 'names differing only in case or accents are distinct keys and groups']],
    stillPasses: [[serviceChecks, 'getServicesByName returns exactly the pods of that service']],
  },
  {
    defect: 'stores malformed records with coerced values',
    create: () => new PermissiveStore(),
    caughtBy: [[serviceChecks, 'saveService rejects a malformed record with a typed error and keeps the stored one']],
    stillPasses: [[serviceChecks, 'saveService then getService returns an equal record']],
  },
  {
    defect: 'applies a batch one call at a time (not all-or-nothing)',
    create: () => new SequentialBatchStore(),
    caughtBy: [[batchChecks, 'a batch with a malformed mutation rejects as a whole and applies nothing']],
    stillPasses: [
      [batchChecks, 'save then health in one batch applies both, in order'],
      [batchChecks, 'results come back in position: delete or health of a missing key is false'],
    ],
  },
  {
    defect: 'keeps working after close',
    create: () => new IgnoresCloseStore(),
    caughtBy: [[lifecycleChecks, 'every call after close rejects with StoreError']],
    stillPasses: [[lifecycleChecks, 'close is idempotent']],
  },
  {
    defect: 'applies a batch out of order',
    create: () => new ReversedBatchStore(),
    caughtBy: [
      [batchChecks, 'save then health in one batch applies both, in order'],
      [batchChecks, 'later mutations see earlier ones: save, delete, save again'],
    ],
    stillPasses: [[batchChecks, 'an empty batch resolves to []']],
  },
];

function checkNamed(checks: StoreChecks, name: string): StoreCheck {
  const check = checks[name];
  if (check === undefined) throw new Error(`no conformance check named "${name}"`);
  return check;
}

async function run(check: StoreCheck, store: RegistryStore, inspect?: StoreInspector): Promise<void> {
  try {
    await check(store, inspect);
  } finally {
    await store.close();
  }
}

describe('the conformance suite fails on broken stores', () => {
  for (const mutant of mutants) {
    describe(`a store that ${mutant.defect}`, () => {
      for (const [checks, name] of mutant.caughtBy) {
        it(`is caught by "${name}"`, async () => {
          const failure = await run(checkNamed(checks, name), mutant.create()).then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(failure, 'the check should have failed').toBeInstanceOf(Error);
          expect((failure as Error).name).toBe(mutant.storeThrows ? 'NotFoundError' : 'AssertionError');
        });
      }
      for (const [checks, name] of mutant.stillPasses ?? []) {
        it(`still passes "${name}" (the failure is specific)`, async () => {
          await run(checkNamed(checks, name), mutant.create());
        });
      }
    });
  }

  it('inspect assertions are live: a leftover row seen only by the raw read fails the check', async () => {
    const store = new MemoryStore();
    const lyingInspector: StoreInspector = {
      serviceKeys: async () => [...(await store.getAllServices()).map(keyOf), 'left:over'],
      subscriptionPairs: async () => [],
    };
    await expect(run(checkNamed(serviceChecks, 'deleteService of a missing key resolves false without throwing'), store, lyingInspector)).rejects.toThrow(/persisted service keys/);
  });
});

/** One test the suite defined: where, whether an enclosing describe was skipped, and its body. */
interface DefinedTest {
  path: string[];
  name: string;
  skipped: boolean;
  body: (context: ConformanceTestContext) => Promise<void>;
}

/** Calls `define` with a runner that records the suite's describes and tests instead of running them. */
function defineWith(define: (runner: ConformanceRunner) => void): DefinedTest[] {
  const defined: DefinedTest[] = [];
  const open: Array<{ name: string; skip: boolean }> = [];
  define({
    describe(name, options, body) {
      open.push({ name, skip: Boolean(options.skip) });
      try {
        body();
      } finally {
        open.pop();
      }
    },
    it(name, _options, body) {
      defined.push({ path: open.map((d) => d.name), name, skipped: open.some((d) => d.skip), body });
    },
  });
  return defined;
}

/** Runs one defined test the way a runner would: passed, skipped (with its note) or failed. */
async function runDefined(test: DefinedTest): Promise<{ name: string; outcome: 'passed' | 'skipped' | 'failed'; note?: string }> {
  let note: string | undefined;
  try {
    await test.body({ skip: (reason) => void (note = reason ?? '') });
  } catch (error) {
    return { name: test.name, outcome: 'failed', note: String(error) };
  }
  return note === undefined ? { name: test.name, outcome: 'passed' } : { name: test.name, outcome: 'skipped', note };
}

describe('runStoreConformance', () => {
  it('marks a skipped suite skipped, defining every check, and never calls create', async () => {
    let creates = 0;
    const defined = defineWith((runner) =>
      runStoreConformance(runner, 'a store whose server is unreachable', {
        skip: 'skipped on purpose: create() must never be called',
        create: async () => {
          creates += 1;
          throw new Error('create() was called');
        },
      }),
    );
    expect(defined).toHaveLength(CONFORMANCE_TESTS);
    expect(defined.filter((t) => !t.skipped).map((t) => t.name)).toEqual([]);
    expect(creates).toBe(0);
    // Only a test body reaches create, and a runner runs none inside a skipped describe.
    expect(await runDefined(defined[0]!)).toMatchObject({ outcome: 'failed' });
    expect(creates).toBe(1);
  });

  it('skips the batch checks, with a reason, for a store without applyBatch, and passes it on every other check', async () => {
    const defined = defineWith((runner) =>
      runStoreConformance(runner, 'MemoryStore without applyBatch', {
        create: async () => {
          const store = new MemoryStore();
          Object.defineProperty(store, 'applyBatch', { value: undefined });
          return store;
        },
      }),
    );
    expect(defined.filter((t) => t.skipped)).toEqual([]);
    const results = [];
    for (const test of defined) results.push(await runDefined(test));
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    const skipped = results.filter((r) => r.outcome === 'skipped');
    const batchSkips = skipped.filter((r) => r.note === 'store-memory has no applyBatch (optional)').map((r) => r.name);
    expect(batchSkips.sort()).toEqual(Object.keys(batchChecks).sort());
    // The rest of the skips are the optional coordination checks, which MemoryStore lacks.
    expect(skipped.length - batchSkips.length).toBe(COORDINATION_CONFORMANCE_TESTS);
    expect(results.filter((r) => r.outcome === 'passed')).toHaveLength(CORE_CONFORMANCE_TESTS - batchSkips.length);
  });
});
