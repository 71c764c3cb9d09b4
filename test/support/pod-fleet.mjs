/**
 * A fleet of pods in its own process, for the cluster tests and the `cluster` benchmark: one
 * HTTP server on 127.0.0.1 serving every pod's health URL (`GET /health/<pod>`, 200) and
 * notification URL (`POST /notify/<pod>`, 204). It records who asked: each request's source
 * address (`req.socket.remoteAddress`), so replicas whose outgoing sockets are bound to their own
 * loopback address (127.0.0.2, 127.0.0.3, …) can be told apart.
 *
 *   const fleet = await startPodFleet();            // { base, healthUrl(pod), notifyUrl(pod), … }
 *   const probes = await fleet.probes(since, until); // [[pod, address, atMs], …]
 *   const inbox = await fleet.deliveries();         // [{ pod, address, at, eventType, service, revision, pods }, …]
 *
 * Running apart from the test process, its timestamps (Date.now() when a request arrived) do not
 * wait for the test's own work. `setHealth(pod, 'down')` makes a pod answer 503.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROLE = 'governance-pod-fleet';
const REVISION_HEADER = 'x-governance-revision';

if (process.argv[2] === ROLE) serve();

function serve() {
  /** Flat probe records: pod, address, time. */
  const probePods = [];
  const probeAddresses = [];
  const probeTimes = [];
  const deliveries = [];
  const down = new Set();
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const [, kind, raw = ''] = (req.url ?? '').split('/');
    const pod = decodeURIComponent(raw);
    const address = req.socket.remoteAddress ?? '';
    if (kind === 'health' && req.method === 'GET') {
      probePods.push(pod);
      probeAddresses.push(address);
      probeTimes.push(Date.now());
      req.resume();
      const ok = !down.has(pod);
      res.writeHead(ok ? 200 : 503, { 'content-length': '2' }).end(ok ? 'ok' : 'no');
      return;
    }
    if (kind === 'notify' && req.method === 'POST') {
      const at = Date.now();
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = {};
        }
        const header = req.headers[REVISION_HEADER];
        const revision = body.revision ?? (header === undefined ? undefined : Number(header));
        deliveries.push({
          pod,
          address,
          at,
          eventType: body.event_type,
          service: body.service_name,
          revision,
          pods: Array.isArray(body.pods) ? body.pods.map((p) => `${p.pod_name}/${p.status}`) : [],
        });
        res.writeHead(204).end();
      });
      return;
    }
    req.resume();
    res.writeHead(404).end();
  });
  server.maxConnections = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
  process.on('message', (msg) => {
    const answer = (value) => process.send({ type: 'answer', id: msg.id, value });
    switch (msg.type) {
      case 'probes': {
        const { since = 0, until = Infinity } = msg;
        const out = [];
        for (let i = 0; i < probeTimes.length; i++) {
          const t = probeTimes[i];
          if (t >= since && t < until) out.push([probePods[i], probeAddresses[i], t]);
        }
        answer(out);
        break;
      }
      case 'probeCount':
        answer(probeTimes.length);
        break;
      case 'deliveries':
        answer(msg.since === undefined ? deliveries : deliveries.filter((d) => d.at >= msg.since));
        break;
      case 'setHealth':
        if (msg.mode === 'down') down.add(msg.pod);
        else down.delete(msg.pod);
        answer(true);
        break;
      case 'close':
        server.closeAllConnections();
        server.close(() => process.exit(0));
        break;
      default:
        answer(null);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Starts the fleet process; resolves once it listens on 127.0.0.1. */
export async function startPodFleet() {
  const child = fork(fileURLToPath(import.meta.url), [ROLE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve(msg.port));
    child.once('exit', (code) => reject(new Error(`[pod-fleet] the fleet process exited early (code ${code})`)));
  });
  let next = 0;
  const pending = new Map();
  child.on('message', (msg) => {
    if (msg.type !== 'answer') return;
    pending.get(msg.id)?.(msg.value);
    pending.delete(msg.id);
  });
  const ask = (message) =>
    new Promise((resolve, reject) => {
      if (!child.connected) {
        reject(new Error('[pod-fleet] the fleet process is gone'));
        return;
      }
      const id = next++;
      pending.set(id, resolve);
      child.send({ ...message, id });
    });
  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    pid: child.pid,
    base,
    healthUrl: (pod) => `${base}/health/${encodeURIComponent(pod)}`,
    notifyUrl: (pod) => `${base}/notify/${encodeURIComponent(pod)}`,
    /** Health requests that arrived in [since, until) (epoch ms): [pod, source address, at]. */
    probes: (since = 0, until = Infinity) => ask({ type: 'probes', since, until: until === Infinity ? undefined : until }),
    /** How many health requests arrived so far. */
    probeCount: () => ask({ type: 'probeCount' }),
    /** Notifications accepted so far (or since `since`), in arrival order. */
    deliveries: (since) => ask({ type: 'deliveries', since }),
    /** `down`: the pod's health URL answers 503 from now on; `up`: 200 again. */
    setHealth: (pod, mode) => ask({ type: 'setHealth', pod, mode }),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
