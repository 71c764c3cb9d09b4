// Engine benchmark (issue 3): the Manager's health-check sweep with dead pods, notification
// fan-out, in-process register() throughput and heap per pod — against the BUILT packages.
// One local fleet server (per-pod /health and /notify paths) runs in a worker thread so its own
// work does not count against the manager's event loop. Results: bench/results/engine.json.
import http from 'node:http';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { QUICK, latencyCase, measureLatencies, quantile, report } from '../lib/harness.mjs';

if (!isMainThread && workerData?.role === 'engine-fleet') {
  serveFleet();
} else {
  await main();
}

/** The fleet: /health/<pod> answers 200 (pods named dead-* never answer); /notify/<pod> counts. */
function serveFleet() {
  const hanging = new Set();
  let expect;
  let matched = 0;
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const [, kind, pod = ''] = req.url.split('/');
    if (kind === 'health') {
      if (pod.startsWith('dead-')) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        req.resume();
        return;
      }
      res.writeHead(200, { 'content-length': '2' }).end('ok');
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      if (expect === undefined) return;
      const payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (payload.service_name === 'core' && payload.pods[0]?.providers[0]?.port === expect.port && ++matched === expect.n) {
        parentPort.postMessage({ type: 'fanout-done', port: expect.port });
        expect = undefined;
      }
    });
  });
  server.maxConnections = 19_000;
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'ready', port: server.address().port }));
  parentPort.on('message', (msg) => {
    if (msg.type === 'expect') {
      expect = msg;
      matched = 0;
    } else if (msg.type === 'close') {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
}

function summary(samplesNs, wallMs, concurrency) {
  const sorted = Float64Array.from(samplesNs).sort();
  let total = 0;
  for (const s of sorted) total += s;
  const r = (v) => (Number.isFinite(v) ? Math.round(v) : null);
  return {
    count: sorted.length,
    concurrency,
    completed: sorted.length,
    errors: 0,
    firstError: null,
    p50Ns: r(quantile(sorted, 0.5)),
    p90Ns: r(quantile(sorted, 0.9)),
    p99Ns: r(quantile(sorted, 0.99)),
    maxNs: r(sorted[sorted.length - 1]),
    meanNs: r(total / sorted.length),
    wallMs: Math.round(wallMs),
    throughputPerSec: r((sorted.length * 1000) / wallMs),
  };
}

function registration(base, service, pod, subscriptions = [], port = 8080) {
  return {
    serviceName: service,
    podName: pod,
    providers: [{ protocol: 'http', ip: '10.1.2.3', port }],
    healthCheckUrl: `${base}/health/${pod}`,
    notificationUrl: `${base}/notify/${pod}`,
    subscriptions,
  };
}

async function waitUntil(check, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('[bench] engine: timed out waiting for the engine to settle');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function registerAll(manager, regs, concurrency = 256) {
  let next = 0;
  const worker = async () => {
    while (next < regs.length) await manager.register(regs[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Nothing waiting, backing off or in flight in the delivery pool. */
function deliveriesSettled(manager) {
  return () => {
    const { pending, inFlight } = manager.stats().deliveries;
    return pending === 0 && inFlight === 0;
  };
}

function settled(manager) {
  return () => {
    const s = manager.stats();
    return s.probes.inFlight === 0 && s.probes.queued === 0 && s.queueDepth === 0;
  };
}

/** 10,000 pods, 10 % never answering; one full sweep, with registrations measured during it. */
async function sweepCase(Manager, MemoryStore, base) {
  const pods = QUICK ? 2_000 : 10_000;
  const manager = new Manager(
    {
      healthCheckInterval: 3_600_000,
      healthCheckTimeout: 1_000,
      healthCheckRetry: 1,
      notificationInterval: 3_600_000,
      probeConcurrency: 1_500,
      eventQueueSize: 20_000,
    },
    new MemoryStore(),
  );
  await manager.start();
  const regs = Array.from({ length: pods }, (_, i) =>
    registration(base, `svc-${i % 100}`, i % 10 === 0 ? `dead-${i}` : `pod-${i}`),
  );
  await registerAll(manager, regs);
  await waitUntil(settled(manager));

  // The machine's own noise: event-loop delay of this idle process over one second.
  const idle = monitorEventLoopDelay({ resolution: 10 });
  idle.enable();
  await new Promise((r) => setTimeout(r, 1_000));
  idle.disable();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const latencies = [];
  let sweeping = true;
  let n = 0;
  const registering = (async () => {
    while (sweeping) {
      const t0 = process.hrtime.bigint();
      await manager.register(registration(base, 'late', `late-${n++}`));
      latencies.push(Number(process.hrtime.bigint() - t0));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  loop.enable();
  const started = performance.now();
  await manager.checkNow();
  const sweepMs = performance.now() - started;
  loop.disable();
  sweeping = false;
  await registering;
  await manager.stop({ timeoutMs: 3_000 });
  const stats = summary(latencies, sweepMs, 1);
  return latencyCase({
    name: `register() during a sweep of ${pods} pods (10 % dead)`,
    stats,
    metrics: {
      pods,
      deadPods: pods / 10,
      sweepMs: Math.round(sweepMs),
      loopDelayP99Ns: Math.round(loop.percentile(99)),
      loopDelayMaxNs: Math.round(loop.max),
      loopDelayIdleP99Ns: Math.round(idle.percentile(99)),
      probeConcurrency: 1_500,
    },
    targets: [
      { name: 'sweep ≤ 5 s', metric: 'metrics.sweepMs', op: '<=', limit: 5_000 },
      { name: 'registration p99 ≤ 20 ms', metric: 'p99Ns', op: '<=', limit: 20_000_000 },
      { name: 'event-loop delay p99 ≤ 50 ms', metric: 'metrics.loopDelayP99Ns', op: '<=', limit: 50_000_000 },
    ],
    note:
      'Health-check timeout 1 s, 1 retry; the dead pods never answer. The Go original retries inside its single worker with 1/2/4 s sleeps, so the same fleet takes it hours per sweep and blocks every registration behind it.',
  });
}

/** One change to a group with 1,000 subscribers: time until the last one received it. */
async function fanoutCase(Manager, MemoryStore, base, fleet) {
  const subscribers = QUICK ? 200 : 1_000;
  const rounds = QUICK ? 5 : 20;
  const manager = new Manager(
    { healthCheckInterval: 3_600_000, notificationInterval: 3_600_000, notificationConcurrency: 128 },
    new MemoryStore(),
  );
  await manager.start();
  await manager.register(registration(base, 'core', 'core-0', [], 1));
  await registerAll(
    manager,
    Array.from({ length: subscribers }, (_, i) => registration(base, 'edge', `edge-${i}`, ['core'])),
  );
  await waitUntil(settled(manager));
  await waitUntil(deliveriesSettled(manager));

  const samples = [];
  const warmup = 3;
  const wallStart = performance.now();
  for (let i = -warmup; i < rounds; i++) {
    const port = 20_000 + warmup + i;
    const done = new Promise((resolve) => {
      const onMessage = (msg) => {
        if (msg.type === 'fanout-done' && msg.port === port) {
          fleet.off('message', onMessage);
          resolve();
        }
      };
      fleet.on('message', onMessage);
    });
    fleet.postMessage({ type: 'expect', port, n: subscribers });
    await new Promise((r) => setTimeout(r, 5));
    const t0 = process.hrtime.bigint();
    await manager.register(registration(base, 'core', 'core-0', [], port));
    await done;
    if (i >= 0) samples.push(Number(process.hrtime.bigint() - t0));
    await waitUntil(deliveriesSettled(manager));
  }
  const wallMs = performance.now() - wallStart;
  await manager.stop({ timeoutMs: 3_000 });
  return latencyCase({
    name: `fan-out of one change to ${subscribers} subscribers`,
    stats: summary(samples, wallMs, 1),
    metrics: { subscribers, rounds, notificationConcurrency: 128 },
    targets: [{ name: 'last subscriber p99 ≤ 250 ms', metric: 'p99Ns', op: '<=', limit: 250_000_000 }],
    note: 'From the register() call until the fleet server (loopback, worker thread) has received the new payload at every subscriber.',
  });
}

/** register() calls per second on MemoryStore: new pods (each triggers a first health check), then updates. */
async function throughputCases(Manager, MemoryStore, validateRegistration, base) {
  const n = QUICK ? 5_000 : 50_000;
  // Baseline: the bare work one registration needs, without the engine — validate, then save.
  const bare = new MemoryStore();
  const at = new Date();
  const baseline = await measureLatencies(
    async (i) => {
      const reg = validateRegistration(registration(base, `svc-${Math.abs(i) % 50}`, `b-${i}`));
      await bare.saveService({ ...reg, status: 'unknown', lastHealthCheck: at, registeredAt: at, updatedAt: at });
    },
    n,
    256,
  );
  baseline.name = 'validateRegistration + MemoryStore.saveService';
  const manager = new Manager(
    { healthCheckInterval: 3_600_000, notificationInterval: 3_600_000, eventQueueSize: 10_000 },
    new MemoryStore(),
  );
  await manager.start();
  const create = await measureLatencies(
    (i) => manager.register(registration(base, `svc-${Math.abs(i) % 50}`, `p-${i < 0 ? `w${-i}` : i}`)),
    n,
    256,
  );
  await waitUntil(settled(manager));
  const update = await measureLatencies(
    (i) => manager.register(registration(base, `svc-${Math.abs(i) % 50}`, `p-${Math.abs(i) % n}`, [], 9_000 + (Math.abs(i) % 1000) + 1)),
    n,
    256,
  );
  await manager.stop({ timeoutMs: 5_000 });
  const targets = [{ name: 'register() ≥ 50,000/s', metric: 'metrics.throughputPerSec', op: '>=', limit: 50_000 }];
  return [
    latencyCase({
      name: `register() new pods, MemoryStore (256 in flight)`,
      stats: create,
      baseline,
      targets,
      note: 'Each new pod also gets its first health check (HTTP to the local fleet) while the run goes on.',
    }),
    latencyCase({
      name: `register() changed pods, MemoryStore (256 in flight)`,
      stats: update,
      baseline,
      targets,
      note: 'Every call changes the pod (a store write and a register notification to no subscribers).',
    }),
  ];
}

/** Heap per registered pod at 100,000 pods (view + MemoryStore + health-check tracking). */
async function memoryCase(Manager, MemoryStore, base) {
  const pods = QUICK ? 10_000 : 100_000;
  const gc = globalThis.gc ?? (() => {});
  const manager = new Manager(
    { healthCheckInterval: 3_600_000, notificationInterval: 3_600_000, eventQueueSize: 10_000 },
    new MemoryStore(),
  );
  await manager.start();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  let i = 0;
  const worker = async () => {
    while (i < pods) {
      const n = i++;
      await manager.register(registration(base, `svc-${n % 200}`, `pod-${n}`, [`cfg-${n % 200}`]));
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 256 }, worker));
  await waitUntil(settled(manager), 300_000);
  const wallMs = performance.now() - t0;
  await waitUntil(deliveriesSettled(manager));
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const perPod = (after - before) / pods;
  const total = manager.stats().pods.total;
  await manager.stop({ timeoutMs: 5_000 });
  return {
    name: `heap per pod at ${pods} pods (MemoryStore)`,
    kind: 'memory',
    medianNs: null,
    p99Ns: null,
    baseline: null,
    ratioToBaseline: null,
    reference: null,
    metrics: {
      pods: total,
      bytesPerPod: Math.round(perPod),
      heapDeltaMiB: Math.round((after - before) / 2 ** 20),
      registerAndCheckWallMs: Math.round(wallMs),
      gcExposed: typeof globalThis.gc === 'function',
    },
    note: 'Heap used after GC, minus before; includes the engine view, the MemoryStore copy, the subscription indexes and the health-check schedule. One provider and one subscription per pod (to a group without pods, so the run is not dominated by fan-out; each new subscriber still gets that group\'s state once).',
    targets: [
      {
        name: 'heap per pod ≤ 2 KiB',
        metric: 'metrics.bytesPerPod',
        op: '<=',
        limit: 2048,
        value: Math.round(perPod),
        met: perPod <= 2048,
        stretch: false,
      },
    ],
  };
}

async function main() {
  const { Manager, validateRegistration } = await import('@governance/core');
  const { MemoryStore } = await import('@governance/store-memory');
  const fleet = new Worker(new URL(import.meta.url), { workerData: { role: 'engine-fleet' } });
  const { port } = await new Promise((resolve) => fleet.once('message', resolve));
  const base = `http://127.0.0.1:${port}`;
  const only = process.env.ENGINE_CASES?.split(',');
  const want = (name) => only === undefined || only.includes(name);
  const cases = [];
  try {
    if (want('sweep')) {
      process.stderr.write('  engine: sweep …\n');
      cases.push(await sweepCase(Manager, MemoryStore, base));
    }
    if (want('fanout')) {
      process.stderr.write('  engine: fan-out …\n');
      cases.push(await fanoutCase(Manager, MemoryStore, base, fleet));
    }
    if (want('throughput')) {
      process.stderr.write('  engine: throughput …\n');
      cases.push(...(await throughputCases(Manager, MemoryStore, validateRegistration, base)));
    }
    if (want('memory')) {
      process.stderr.write('  engine: memory …\n');
      cases.push(await memoryCase(Manager, MemoryStore, base));
    }
  } finally {
    fleet.postMessage({ type: 'close' });
  }
  report(
    { name: 'engine', options: { quick: QUICK }, cases },
    {
      notes: [
        'Manager from the built @governance/core, MemoryStore from the built @governance/store-memory.',
        'The fleet server runs in a worker thread of the same process; the machine has 2 cores shared with other work, so figures are noisy.',
      ],
    },
  );
}
