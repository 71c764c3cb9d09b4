// Pull-mode benchmark (issue 14): 1,000 SSE watchers on one Manager (MemoryStore, built packages):
// change → event latency p50/p99 at the watchers, beside a bare node:http SSE broadcast of a frame
// of the same size to 1,000 streams in the same run; heap per watcher on the manager's side.
// The watchers run in a worker thread (own V8 heap, own event loop), timing with
// performance.timeOrigin + now(), which both threads share. Results: bench/results/watch.json.
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { QUICK, latencyCase, report } from '../lib/harness.mjs';

const WATCHERS = Number(process.env.WATCH_BENCH_WATCHERS ?? 1_000);
const ROUNDS = QUICK ? 5 : 30;
const now = () => performance.timeOrigin + performance.now();

if (!isMainThread && workerData?.role === 'watchers') runWatchers(workerData);
else await main();

/** The watchers: `count` streams, each reporting when it sees a frame whose data carries `marker`. */
function runWatchers({ url, count }) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  let marker;
  let seen = [];
  let open = 0;
  for (let i = 0; i < count; i++) {
    http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      if (++open === count) parentPort.postMessage({ type: 'ready' });
      let buffer = '';
      res.on('data', (chunk) => {
        buffer += chunk;
        let at;
        while ((at = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (marker !== undefined && frame.includes(marker)) {
            seen.push(now());
            if (seen.length === count) {
              parentPort.postMessage({ type: 'round', times: seen });
              seen = [];
              marker = undefined;
            }
          }
        }
      });
    });
  }
  parentPort.on('message', (msg) => {
    if (msg.type === 'expect') marker = msg.marker;
    else if (msg.type === 'close') process.exit(0);
  });
}

function startWatchers(url) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'watchers', url, count: WATCHERS } });
  const next = (type) => new Promise((resolve) => worker.once('message', (msg) => (msg.type === type ? resolve(msg) : undefined)));
  return { worker, next };
}

async function measureRounds(url, change) {
  const { worker, next } = startWatchers(url);
  await next('ready');
  await new Promise((r) => setTimeout(r, 300));
  const samples = [];
  const wall = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    const marker = `mark-${round}-${Math.random().toString(36).slice(2)}`;
    worker.postMessage({ type: 'expect', marker });
    await new Promise((r) => setTimeout(r, 20));
    const done = next('round');
    const at = now();
    await change(marker);
    const { times } = await done;
    for (const t of times) samples.push((t - at) * 1e6);
  }
  const wallMs = performance.now() - wall;
  worker.postMessage({ type: 'close' });
  await new Promise((r) => worker.once('exit', r));
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))];
  return {
    p50Ns: q(0.5), p90Ns: q(0.9), p99Ns: q(0.99), maxNs: samples.at(-1),
    meanNs: samples.reduce((a, b) => a + b, 0) / samples.length,
    completed: samples.length, concurrency: WATCHERS, errors: 0, firstError: null, wallMs,
    throughputPerSec: samples.length / (wallMs / 1000),
  };
}

function listen(server) {
  server.maxConnections = WATCHERS + 100;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', 4096, () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

async function main() {
  const { Manager } = await import('@governance/core');
  const { createNodeListener } = await import('@governance/core/node');
  const { MemoryStore } = await import('@governance/store-memory');
  const cases = [];

  // Baseline: a bare SSE broadcast — the same frame written to every open response.
  const streams = new Set();
  let frameSize = 0;
  const bare = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    res.on('close', () => streams.delete(res));
  });
  const bareUrl = await listen(bare);

  const manager = new Manager({ healthCheckInterval: 3_600_000, notificationInterval: 3_600_000 }, new MemoryStore());
  await manager.start();
  const server = http.createServer(createNodeListener(manager));
  const base = await listen(server);
  const pod = (name) => ({
    serviceName: 'eir',
    podName: name,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port: 9000 }],
    healthCheckUrl: 'http://127.0.0.1:9/health',
    notificationUrl: 'http://127.0.0.1:9/notify',
    subscriptions: [],
  });
  for (let i = 0; i < 10; i++) await manager.register(pod(`eir-${i}`));

  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const { worker: heapWorker, next: heapNext } = startWatchers(`${base}/watch?service=eir`);
  await heapNext('ready');
  await new Promise((r) => setTimeout(r, 500));
  globalThis.gc?.();
  const heapPerWatcher = (process.memoryUsage().heapUsed - heapBefore) / WATCHERS;
  heapWorker.postMessage({ type: 'close' });
  await new Promise((r) => heapWorker.once('exit', r));
  await new Promise((r) => setTimeout(r, 300));

  // Each round registers a pod named by the round's marker (the change the watchers wait for).
  const stats = await measureRounds(`${base}/watch?service=eir`, async (marker) => {
    await manager.register(pod(marker));
    frameSize = Buffer.byteLength(JSON.stringify(await manager.getServicePods('eir'))) + 200;
  });
  const baseline = await measureRounds(bareUrl, async (marker) => {
    const frame = Buffer.from(`id: 1\ndata: ${JSON.stringify({ marker, pad: 'x'.repeat(frameSize) })}\n\n`);
    for (const res of streams) res.write(frame);
  });

  cases.push(
    latencyCase({
      name: `change → event at ${WATCHERS} SSE watchers`,
      stats,
      baseline: { name: 'bare node:http SSE broadcast', ...baseline },
      targets: [{ metric: 'p99Ns', op: '<', limit: 1e9, name: 'p99 < 1 s' }],
      metrics: { heapBytesPerWatcher: Math.round(heapPerWatcher), gcExposed: typeof globalThis.gc === 'function', frameBytes: frameSize },
      note: 'latency from just before manager.register() (a committed change) to the frame parsed by each watcher, all watchers in one worker thread',
    }),
  );

  await manager.stop();
  for (const s of [server, bare]) {
    s.closeAllConnections();
    s.close();
  }
  report(
    { name: 'watch', options: { quick: QUICK, watchers: WATCHERS, rounds: ROUNDS }, cases },
    {
      notes: [
        'Manager from the built @governance/core on the built MemoryStore; watchers in a worker thread of the same process (2 shared cores: noisy).',
        'heapBytesPerWatcher: the manager thread’s heap growth per open watch stream (after gc), server side only.',
        'Heartbeat (TTL) throughput is not measured: TTL checks are not built yet.',
      ],
    },
  );
}
