/**
 * The load generator for the end-to-end suites, run in its own process (a small Node program:
 * `pnpm bench` then needs nothing beyond Node, and it records every request's latency itself).
 * It POSTs registrations (snake_case JSON, distinct pods) over keep-alive connections.
 *
 *   const load = await startLoadClient();
 *   const stats = await load.run({ url, concurrency: 50, durationMs: 10_000, warmupMs: 2_000, pods: {...} });
 *   await load.close();
 *
 * `run` options: `url` (…/register); `concurrency` (clients, one keep-alive socket each);
 * `count` and/or `durationMs` (stop after either); `warmupMs` (requests sent first, not counted);
 * `intervalMs` (a trickle: each client waits this long between requests); `pods`: { tag,
 * healthBase, deadEvery (every n-th pod is `dead-…`), services } for the bodies. Resolves the
 * latency summary (ns), throughput, status counts, the client's CPU time and the wall-clock time
 * of the last answer (`lastAnswerAt`, epoch ms).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROLE = 'governance-bench-load';

if (process.argv[2] === ROLE) {
  process.on('message', async (msg) => {
    if (msg.type === 'run') process.send({ type: 'result', result: await run(msg.options) });
    else if (msg.type === 'close') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}

function body(pods, n) {
  const pod = pods.deadEvery && n % pods.deadEvery === 0 ? `dead-${pods.tag}-${n}` : `${pods.tag}-${n}`;
  const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return JSON.stringify({
    service_name: `svc-${n % (pods.services ?? 100)}`,
    pod_name: pod,
    providers: [
      { protocol: 'http', ip, port: 8080 },
      { protocol: 'tcp', ip, port: 3868 },
    ],
    health_check_url: `${pods.healthBase}/health/${pod}`,
    notification_url: `${pods.healthBase}/notify/${pod}`,
    subscriptions: [],
  });
}

function post(agent, url, payload) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return Math.round(sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]));
}

async function run(options) {
  const { url, concurrency, count = Number.POSITIVE_INFINITY, durationMs, warmupMs = 0, intervalMs = 0, pods } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const statuses = {};
  let firstError = null;
  let errors = 0;
  const pause = () => (intervalMs > 0 ? new Promise((r) => setTimeout(r, intervalMs)) : undefined);
  const send = async () => {
    const n = next++;
    const t0 = process.hrtime.bigint();
    try {
      const status = await post(agent, url, body(pods, n));
      statuses[status] = (statuses[status] ?? 0) + 1;
      return { ns: Number(process.hrtime.bigint() - t0), ok: status >= 200 && status < 300 };
    } catch (error) {
      errors++;
      firstError ??= error?.message ?? String(error);
      return { ns: 0, ok: false };
    }
  };
  // Warm-up: the same traffic, not counted.
  const warmupEnd = performance.now() + warmupMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmupEnd) {
        await send();
        await pause();
      }
    }),
  );
  const warmedUp = next;
  for (const k of Object.keys(statuses)) delete statuses[k];
  errors = 0;
  const durations = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = durationMs === undefined ? Number.POSITIVE_INFINITY : started + durationMs;
  let lastAnswerAt = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next - warmedUp < count && performance.now() < deadline) {
        const { ns, ok } = await send();
        if (ok) {
          durations.push(ns);
          lastAnswerAt = Date.now();
        }
        await pause();
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  const sorted = Float64Array.from(durations).sort();
  let total = 0;
  for (const d of sorted) total += d;
  return {
    count: next - warmedUp,
    concurrency,
    completed: sorted.length,
    errors,
    firstError,
    statuses,
    p50Ns: quantile(sorted, 0.5),
    p90Ns: quantile(sorted, 0.9),
    p99Ns: quantile(sorted, 0.99),
    maxNs: sorted.length ? Math.round(sorted[sorted.length - 1]) : null,
    meanNs: sorted.length ? Math.round(total / sorted.length) : null,
    wallMs: Math.round(wallMs),
    throughputPerSec: Math.round((sorted.length * 1000) / wallMs),
    warmupRequests: warmedUp,
    clientCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    lastAnswerAt,
  };
}

/** Starts a load-generator process; `run(options)` may be called several times, one at a time. */
export async function startLoadClient() {
  const child = fork(fileURLToPath(import.meta.url), [ROLE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`[bench] the load process exited early (code ${code})`)));
  });
  return {
    pid: child.pid,
    run(options) {
      return new Promise((resolve) => {
        child.once('message', (msg) => resolve(msg.result));
        child.send({ type: 'run', options });
      });
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
