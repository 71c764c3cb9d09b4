/**
 * MemoryStore micro-benchmarks: each operation beside a plain-Map baseline doing the same lookup
 * without indexes or freezing, measured in the same rounds, and beside the Go original's published
 * figures (seed 001, "Performance Comparison"). Stored records are deeply frozen and shared, so
 * reads copy nothing; writes build one frozen record, sharing the unchanged parts of the old one.
 * Targets (issue 17): save ≤ 200 ns, get ≤ 100 ns, getServicesByName (10 of 1,000) ≤ 1 µs,
 * getAllServices (1,000) ≤ 100 µs.
 */
import { cloneService, keyOf } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { report, runCases } from '../lib/harness.mjs';

const GO_SOURCE = 'Go chronnie/governance in-memory store README, "Performance Comparison" table';
/** Go figures: lock-free MemoryStore (shallow copies) and ThreadSafeMemoryStore (deep copies, like ours). */
const GO = {
  saveService: { lockFree: 100, threadSafe: 150 },
  getService: { lockFree: 80, threadSafe: 120 },
  getAllServices: { lockFree: 500, threadSafe: 800 },
};

function pod(serviceName, n, subscriptions = []) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60));
  return {
    serviceName,
    podName: `${serviceName}-pod-${n}`,
    providers: [
      { protocol: 'http', ip: `10.0.${(n >> 8) & 255}.${n & 255}`, port: 8080 },
      { protocol: 'tcp', ip: `10.0.${(n >> 8) & 255}.${n & 255}`, port: 3868 },
    ],
    healthCheckUrl: `http://10.0.${(n >> 8) & 255}.${n & 255}:8080/health`,
    notificationUrl: `http://10.0.${(n >> 8) & 255}.${n & 255}:8080/notify`,
    subscriptions,
    status: 'healthy',
    lastHealthCheck: at,
    registeredAt: at,
    updatedAt: at,
  };
}

// 1,000 pods in 100 services of 10 pods; 50 of them ("smf" group) subscribe to "eir".
const PODS = Array.from({ length: 1000 }, (_, n) => {
  const service = n < 10 ? 'amf' : `svc-${Math.floor(n / 10)}`;
  const subscriptions = n >= 100 && n < 150 ? ['eir', 'udm'] : ['nrf'];
  return pod(service, n, subscriptions);
});
const KEYS = PODS.map(keyOf);
const ROTATE = PODS.length;
// The same pods with a later updatedAt: saving PODS then UPDATED in turn changes every record.
const UPDATED = PODS.map((p, n) => ({ ...p, updatedAt: new Date(p.updatedAt.getTime() + 1000 + n) }));
// Seven distinct health-check times: consecutive checks of one pod almost always differ.
const CHECK_TIMES = Array.from({ length: 7 }, (_, n) => new Date(Date.UTC(2026, 0, 2, 0, 0, n)));

const store = new MemoryStore();
for (const p of PODS) await store.saveService(p);

// The plain-Map baselines hold the same objects, indexed the same way, without copying.
const plain = new Map(PODS.map((p) => [keyOf(p), p]));
const plainByName = new Map();
for (const p of PODS) {
  if (!plainByName.has(p.serviceName)) plainByName.set(p.serviceName, new Map());
  plainByName.get(p.serviceName).set(keyOf(p), p);
}
const plainSubscribers = new Map();
for (const p of PODS) {
  for (const group of p.subscriptions) {
    if (!plainSubscribers.has(group)) plainSubscribers.set(group, new Set());
    plainSubscribers.get(group).add(keyOf(p));
  }
}
const scratch = new Map(plain);
// In-place health updates of mutable copies: what the copying MemoryStore did.
const mutable = new Map(PODS.map((p) => [keyOf(p), cloneService(p)]));

const check = async () => {
  const [amf, all, eir] = await Promise.all([
    store.getServicesByName('amf'),
    store.getAllServices(),
    store.getSubscriberServices('eir'),
  ]);
  if (amf.length !== 10 || all.length !== 1000 || eir.length !== 50) {
    throw new Error(`[bench] unexpected fixture sizes: ${amf.length}/${all.length}/${eir.length}`);
  }
};
await check();

const singlePodTargets = (op, limitNs) => [
  { name: `median ≤ ${limitNs} ns`, metric: 'medianNs', op: '<=', limit: limitNs },
  { name: `median ≤ 2× Go (${GO[op].lockFree} ns)`, metric: 'reference.ratio', op: '<=', limit: 2, stretch: true },
];

const goReference = (op, note) => ({
  name: 'Go MemoryStore',
  medianNs: GO[op]?.lockFree ?? null,
  source: GO_SOURCE,
  ...(GO[op] ? { threadSafeDeepCopyNs: GO[op].threadSafe } : {}),
  note,
});

const result = await runCases({
  name: 'memory-store',
  cases: [
    {
      name: 'saveService',
      fn: (i) => store.saveService(PODS[i % ROTATE]),
      baseline: { name: 'Map.set', fn: (i) => scratch.set(KEYS[i % ROTATE], PODS[i % ROTATE]) },
      reference: goReference('saveService', 'Go figure for an unspecified record; ours re-saves existing pods with 2 providers and 1–2 subscriptions (index kept in sync)'),
      targets: singlePodTargets('saveService', 200),
      note: 're-saves one of 1,000 existing pods with the same content: date checks, one new frozen record sharing providers, subscriptions and dates with the old one, subscription index left alone',
    },
    {
      name: 'saveService (updatedAt changed)',
      fn: (i) => store.saveService((i % (2 * ROTATE) < ROTATE ? PODS : UPDATED)[i % ROTATE]),
      baseline: { name: 'Map.set', fn: (i) => scratch.set(KEYS[i % ROTATE], PODS[i % ROTATE]) },
      reference: goReference('saveService', 'Go figure for an unspecified record'),
      note: 'every save changes updatedAt, so it also makes one new frozen Date',
    },
    {
      name: 'updateHealthStatus (new time)',
      fn: (i) => store.updateHealthStatus(KEYS[i % ROTATE], i & 1 ? 'healthy' : 'unhealthy', CHECK_TIMES[i % 7]),
      baseline: {
        name: 'Map.get + 2 writes',
        fn: (i) => {
          const pod = mutable.get(KEYS[i % ROTATE]);
          pod.status = i & 1 ? 'healthy' : 'unhealthy';
          pod.lastHealthCheck = CHECK_TIMES[i % 7];
        },
      },
      reference: goReference('updateHealthStatus', 'no published Go figure for UpdateHealthStatus'),
      note: 'a new frozen record (sharing everything but status and lastHealthCheck) and one new frozen Date; the baseline changes a mutable record in place',
    },
    {
      name: 'getService',
      fn: (i) => store.getService(KEYS[i % ROTATE]),
      baseline: { name: 'Map.get', fn: (i) => plain.get(KEYS[i % ROTATE]) },
      reference: goReference('getService'),
      targets: singlePodTargets('getService', 100),
      note: 'one of 1,000 pods by key: the stored frozen record itself',
    },
    {
      name: 'getServicesByName (10 pods)',
      fn: () => store.getServicesByName('amf'),
      baseline: { name: 'Map.get + values()', fn: () => [...plainByName.get('amf').values()] },
      reference: goReference('getServicesByName', 'no published Go figure for GetServicesByName'),
      metrics: { pods: 10 },
      targets: [{ name: 'median ≤ 1 µs', metric: 'medianNs', op: '<=', limit: 1000 }],
      note: 'a new array of the 10 frozen records of one service (of 1,000 pods), from the name index',
    },
    {
      name: 'getAllServices (1,000 pods)',
      fn: () => store.getAllServices(),
      baseline: { name: '[...Map.values()]', fn: () => [...plain.values()] },
      reference: goReference(
        'getAllServices',
        'Go figure is for an unspecified (small) number of services, so the ratio is not like for like',
      ),
      metrics: { pods: 1000 },
      targets: [{ name: 'median ≤ 100 µs', metric: 'medianNs', op: '<=', limit: 100_000 }],
      note: 'a new array of the 1,000 frozen records',
    },
    {
      name: 'getSubscriberServices (50 subscribers)',
      fn: () => store.getSubscriberServices('eir'),
      baseline: {
        name: 'Set → Map.get ×50',
        fn: () => {
          const out = [];
          for (const key of plainSubscribers.get('eir')) out.push(plain.get(key));
          return out;
        },
      },
      reference: goReference('getSubscriberServices', 'no published Go figure for GetSubscriberServices'),
      metrics: { pods: 50 },
      note: 'a new array of 50 frozen records from the subscription index',
    },
    {
      name: 'context: await of an async Map.get',
      fn: async (i) => plain.get(KEYS[i % ROTATE]),
      note: 'the floor of any async store call on this machine (promise + await), for reading the ratios',
    },
    {
      name: 'context: cloneService of one pod',
      fn: (i) => cloneService(PODS[i % ROTATE]),
      note: 'what a caller pays for a mutable copy of a frozen record (3 Dates, 2 providers); the copying MemoryStore made one on every read and write',
    },
  ],
});

// Every store call is async: its cost above one awaited async call (measured in this run) is
// what the store itself adds.
const awaitFloorNs = result.cases.find((c) => c.name.startsWith('context: await'))?.medianNs;
for (const c of result.cases) {
  if (awaitFloorNs && !c.name.startsWith('context')) c.metrics.aboveAwaitFloorNs = Math.round(c.medianNs - awaitFloorNs);
  if (c.metrics.pods) c.metrics.perPodNs = Math.round((c.medianNs / c.metrics.pods) * 100) / 100;
  if (c.reference?.threadSafeDeepCopyNs) {
    c.reference.threadSafeRatio = Math.round((c.medianNs / c.reference.threadSafeDeepCopyNs) * 100) / 100;
  }
}

await check();
await store.close();

report(result, {
  notes: [
    'Durations are nanoseconds per call. Sub-microsecond operations are timed in batches (see each case\'s `batch`) and divided, so median/p99 are of per-call averages over a batch.',
    'MemoryStore methods are async; the plain-Map baselines are synchronous, so every ratio includes the cost of a promise and an await (see the "context" cases).',
    'Records are deeply frozen and shared: reads return the stored record, writes build a new frozen one. Times are frozen Date objects (a Date subclass whose setters throw), so records keep the ServiceInfo type; see packages/store-memory/README.md for why not epoch numbers or getters.',
    'Go figures: lock-free MemoryStore 100 ns save / 80 ns get / 500 ns get-all (shallow copies); ThreadSafeMemoryStore 150 / 120 / 800 ns (deep copies). No published figure for GetServicesByName, GetSubscriberServices or UpdateHealthStatus; the get-all figure is for an unspecified small size.',
    'Figures are noisy: 2 cores shared with other work. Compare ratios, which are measured in the same rounds.',
  ],
});
