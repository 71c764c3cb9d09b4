// HTTP benchmark: registrations per second through the Express and Koa adapters (memory store),
// each beside a bare route of the same framework that parses the same JSON and answers 200.
// The servers run in a worker thread, the keep-alive load generator in the main thread, so the
// client's own cost does not hide the server's. Results: bench/results/http.json.
import http from 'node:http';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { QUICK, latencyCase, measureLatencies, report } from '../lib/harness.mjs';

const TARGET_RATIO = 0.6;

const isServer = !isMainThread && workerData?.role === 'http-bench-server';
if (isServer) await serve(workerData.target);

/** Starts one target server in this worker and reports its port. */
async function serve(target) {
  const express = (await import('express')).default;
  const Koa = (await import('koa')).default;
  let handler;
  let manager;
  if (target === 'express-bare') {
    const app = express();
    app.post('/gov/register', express.json({ limit: '64kb' }), (req, res) => {
      res.status(200).json({ ok: typeof req.body.service_name === 'string' });
    });
    handler = app;
  } else if (target === 'koa-bare') {
    const app = new Koa();
    app.use(async (ctx) => {
      if (ctx.method !== 'POST' || ctx.path !== '/gov/register') return;
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      ctx.status = 200;
      ctx.body = { ok: typeof body.service_name === 'string' };
    });
    handler = app.callback();
  } else if (target === 'express-transport-only') {
    // The adapter with a manager that stores nothing: the cost of the transport alone.
    const { governanceRouter } = await import('@governance/core/express');
    const noopManager = {
      async registerValidated({ registration: reg }) {
        const now = new Date();
        return { service: { ...reg, status: 'unknown', lastHealthCheck: now, registeredAt: now, updatedAt: now }, outcome: 'created' };
      },
    };
    const app = express();
    app.use('/gov', governanceRouter(noopManager));
    handler = app;
  } else {
    const { Manager } = await import('@governance/core');
    const { MemoryStore } = await import('@governance/store-memory');
    manager = new Manager({ healthCheckInterval: 3_600_000, notificationInterval: 3_600_000 }, new MemoryStore());
    await manager.start();
    if (target === 'express-governance') {
      const { governanceRouter } = await import('@governance/core/express');
      const app = express();
      app.use('/gov', governanceRouter(manager));
      handler = app;
    } else {
      const { governanceKoa } = await import('@governance/core/koa');
      const app = new Koa();
      app.use(governanceKoa(manager, { prefix: '/gov' }));
      handler = app.callback();
    }
  }
  const server = http.createServer({ keepAliveTimeout: 30_000 }, handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  parentPort.postMessage({ port: server.address().port });
  parentPort.on('message', async (command) => {
    if (command === 'busy') {
      parentPort.postMessage({ activeMs: performance.eventLoopUtilization().active });
      return;
    }
    server.closeAllConnections();
    server.close();
    await manager?.stop({ timeoutMs: 2_000 });
    parentPort.postMessage({ stopped: true });
  });
}

async function startTarget(target) {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'http-bench-server', target } });
  const [message] = await once(worker, 'message');
  return {
    port: message.port,
    /** Milliseconds this server's event loop has been busy so far. */
    async busyMs() {
      worker.postMessage('busy');
      const [reply] = await once(worker, 'message');
      return reply.activeMs;
    },
    async stop() {
      worker.postMessage('stop');
      await once(worker, 'message');
      await worker.terminate();
    },
  };
}

function registrationBody(tag, i) {
  return JSON.stringify({
    service_name: 'bench-svc',
    pod_name: `${tag}-pod-${i}`,
    providers: [
      { protocol: 'http', ip: '10.1.2.3', port: 8080 },
      { protocol: 'tcp', ip: '10.1.2.3', port: 3868 },
    ],
    // A closed local port: the first health check after registration is refused at once.
    health_check_url: 'tcp://127.0.0.1:9',
    notification_url: 'http://10.1.2.3:8080/notify',
    subscriptions: [],
  });
}

async function expect2xx(pending) {
  const status = await pending;
  if (status < 200 || status > 299) throw new Error(`POST /register answered ${status}`);
}

function post(agent, port, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/gov/register',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Best of several measureLatencies runs (highest throughput): a busy neighbour only slows a run. */
function best(runs) {
  return runs.reduce((a, b) => (b.throughputPerSec > a.throughputPerSec ? b : a));
}

const REQUESTS = QUICK ? 1_000 : 5_000;
const WARMUP = QUICK ? 300 : 1_000;
const CONCURRENCY = 32;
const ROUNDS = QUICK ? 1 : 3;

async function main() {
  const pairs = [
    { framework: 'Express', bare: 'express-bare', governance: 'express-governance', bareName: 'bare Express route (express.json)' },
    {
      framework: 'Express',
      bare: 'express-bare',
      governance: 'express-transport-only',
      bareName: 'bare Express route (express.json)',
      label: 'POST /register via Express adapter, no-op manager (transport cost only)',
      note: 'informational: the adapter, body reading, JSON/prototype checks, validation and the wire answer, with a manager that stores nothing',
    },
    { framework: 'Koa', bare: 'koa-bare', governance: 'koa-governance', bareName: 'bare Koa route (reads + JSON.parse)' },
  ];

  // Every server starts up front (each in its own worker), so the built packages are loaded once.
  const targets = [...new Set(pairs.flatMap((p) => [p.bare, p.governance]))];
  const servers = {};
  for (const target of targets) servers[target] = await startTarget(target);

  const cases = [];
  try {
    for (const pair of pairs) {
      process.stderr.write(`  http: ${pair.label ?? pair.framework} …\n`);
      const sides = { bare: servers[pair.bare], governance: servers[pair.governance] };
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const runs = { bare: [], governance: [] };
      try {
        for (const side of ['bare', 'governance']) {
          const tag = `w${pair.governance}${side}`;
          await measureLatencies((i) => expect2xx(post(agent, sides[side].port, registrationBody(tag, i))), WARMUP, CONCURRENCY, { warmup: 0 });
        }
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? ['bare', 'governance'] : ['governance', 'bare'];
          for (const side of order) {
            const tag = `r${round}${pair.governance}${side}`;
            const busyBefore = await sides[side].busyMs();
            const stats = await measureLatencies((i) => expect2xx(post(agent, sides[side].port, registrationBody(tag, i))), REQUESTS, CONCURRENCY, { warmup: 0 });
            stats.serverBusyUsPerRequest = Math.round((((await sides[side].busyMs()) - busyBefore) * 1000) / REQUESTS);
            runs[side].push(stats);
          }
        }
      } finally {
        agent.destroy();
      }
      const stats = best(runs.governance);
      const bare = best(runs.bare);
      cases.push(
        latencyCase({
          name: `${pair.label ?? `POST /register via ${pair.framework} adapter`} ×${CONCURRENCY}`,
          stats,
          baseline: { name: pair.bareName, ...bare },
          targets: [{ name: '≥ 60 % of the bare route’s throughput', metric: 'metrics.throughputRatio', op: '>=', limit: TARGET_RATIO }],
          metrics: {
            throughputRatio: Math.round((stats.throughputPerSec / bare.throughputPerSec) * 1000) / 1000,
            roundsThroughputPerSec: runs.governance.map((r) => r.throughputPerSec),
            baselineRoundsThroughputPerSec: runs.bare.map((r) => r.throughputPerSec),
            requestsPerRound: REQUESTS,
            serverBusyUsPerRequest: stats.serverBusyUsPerRequest,
            baselineServerBusyUsPerRequest: bare.serverBusyUsPerRequest,
            serverBusyRatio: Math.round((bare.serverBusyUsPerRequest / stats.serverBusyUsPerRequest) * 1000) / 1000,
          },
          note: pair.note ?? 'distinct pods, keep-alive node:http Agent, Manager + MemoryStore; each registration is acknowledged after the store applied it and triggers the pod\'s first health check',
        }),
      );
    }
  } finally {
    for (const target of targets) await servers[target].stop();
  }

  report(
    { name: 'http', options: { requests: REQUESTS, warmup: WARMUP, concurrency: CONCURRENCY, rounds: ROUNDS, keepAlive: true }, cases },
    {
      notes: [
        'Each server runs in its own worker thread; the load generator runs in the main thread (keep-alive http.Agent, 32 requests in flight).',
        'Bare route and adapter are measured in the same run, alternating over rounds; the best round of each is reported (a busy neighbour only slows a run). Compare throughputRatio, not absolute numbers, on a shared machine.',
        'serverBusyUsPerRequest is the server thread\'s event-loop busy time per request (performance.eventLoopUtilization); serverBusyRatio = bare / adapter, i.e. the throughput ratio a server-bound run would show.',
        'Registrations are distinct pods with two providers and no subscriptions; the health-check URL is a closed local TCP port, so each first check is refused at once.',
      ],
    },
  );
}

if (!isServer) await main();
