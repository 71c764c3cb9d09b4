// TTL (heartbeat) checks (issue 14 item 4): heartbeats per second on one Manager on MemoryStore
// (built packages), 10,000 TTL pods registered.
// - in process: `manager.heartbeat(service, pod)` rotating over the pods, beside the bare work a
//   heartbeat must do at least (a Map lookup and a timestamp write) in the same rounds;
// - over HTTP: `PUT /heartbeat` through the node:http adapter, 32 keep-alive requests in flight
//   from the same process, beside a bare node:http server answering 204 to the same requests.
// Target: ≥ 10,000 heartbeats/s in process. Results: bench/results/heartbeat.json.
import http from 'node:http';
import { QUICK, latencyCase, measureLatencies, report, runCases } from '../lib/harness.mjs';

const PODS = QUICK ? 1_000 : 10_000;

async function main() {
  const { Manager } = await import('@governance/core');
  const { createNodeListener } = await import('@governance/core/node');
  const { MemoryStore } = await import('@governance/store-memory');

  const manager = new Manager({ healthCheckInterval: 3_600_000, notificationInterval: 3_600_000, eventQueueSize: 20_000 }, new MemoryStore());
  await manager.start();
  const names = [];
  for (let i = 0; i < PODS; i++) {
    const service = `job-${i % 50}`;
    const pod = `job-${i}`;
    names.push([service, pod]);
    await manager.register({
      serviceName: service,
      podName: pod,
      providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
      healthCheckUrl: '',
      notificationUrl: 'http://10.0.0.1:8080/notify',
      subscriptions: [],
      ttl: 60_000,
    });
  }
  // First heartbeats: every pod turns healthy (one lane change each), then the steady state is measured.
  for (const [service, pod] of names) manager.heartbeat(service, pod);
  while (manager.stats().pods.healthy < PODS) await new Promise((resolve) => setTimeout(resolve, 20));

  const bare = new Map(names.map(([service, pod]) => [`${service}:${pod}`, { lastBeat: 0 }]));
  const micro = await runCases({
    name: 'heartbeat',
    options: QUICK ? { rounds: 2, time: 100 } : { rounds: 6, time: 400 },
    cases: [
      {
        name: `manager.heartbeat() in process, ${PODS.toLocaleString('en')} TTL pods`,
        fn: (i) => {
          const [service, pod] = names[Math.abs(i) % PODS];
          if (manager.heartbeat(service, pod) !== 'ok') throw new Error('heartbeat refused');
        },
        baseline: {
          name: 'Map lookup + Date.now() write',
          fn: (i) => {
            const [service, pod] = names[Math.abs(i) % PODS];
            bare.get(`${service}:${pod}`).lastBeat = Date.now();
          },
        },
        targets: [{ name: '≥ 10,000 heartbeats/s in process', metric: 'opsPerSec', op: '>=', limit: 10_000 }],
      },
    ],
  });

  // Over HTTP: the manager's route beside a bare node:http 204.
  const governed = http.createServer(createNodeListener(manager));
  const plain = http.createServer((req, res) => {
    req.resume();
    res.writeHead(204, { 'cache-control': 'no-store' }).end();
  });
  const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  const [governedPort, plainPort] = [await listen(governed), await listen(plain)];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const put = (port, [service, pod]) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'PUT', path: `/heartbeat?service_name=${service}&pod_name=${pod}`, agent },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const n = QUICK ? 5_000 : 50_000;
  const baseline = await measureLatencies((i) => put(plainPort, names[Math.abs(i) % PODS]), n, 32);
  baseline.name = 'bare node:http 204 (same requests)';
  const overHttp = await measureLatencies((i) => put(governedPort, names[Math.abs(i) % PODS]), n, 32);
  const httpCase = latencyCase({
    name: 'PUT /heartbeat over HTTP (node:http adapter, 32 in flight, keep-alive, client in the same process)',
    stats: overHttp,
    baseline,
    note: 'Client and server share one process and its event loop: the HTTP figures are a floor, not the server alone.',
  });
  agent.destroy();
  await new Promise((resolve) => governed.close(resolve));
  await new Promise((resolve) => plain.close(resolve));
  await manager.stop();

  report(
    { name: 'heartbeat', options: { quick: QUICK, pods: PODS }, cases: [...micro.cases, httpCase] },
    {
      notes: [
        'Manager from the built @governance/core, MemoryStore from the built @governance/store-memory; single manager (no cluster relay).',
        'A steady-state heartbeat of a healthy pod is one Map lookup and one number write: no lane change, no store write.',
        'The machine has 2 cores shared with other work, so figures are noisy.',
      ],
    },
  );
}

await main();
