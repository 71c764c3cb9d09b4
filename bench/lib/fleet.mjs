/**
 * The fleet: a local HTTP server standing in for the pods, run in its own process so its work
 * never counts against the process measured. `GET /health/<pod>` answers 200, except pods named
 * `dead-…`, which never answer (the request hangs until the prober gives up); `POST /notify/…`
 * answers 204. It counts what it served, per kind, with timestamps for the last of each.
 *
 *   const fleet = await startFleet();          // { base, port, stats(), close() }
 *   const { healthOk, deadOpened, deadAborted, notify } = await fleet.stats();
 *
 * `startFleet({ origins: n })` also listens on the same port of n more loopback addresses
 * (127.1.0.0, 127.1.0.1, …; `fleet.bases`), so a prober meets n distinct origins, as it meets
 * pods on their own hosts, without exposing anything beyond loopback.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROLE = 'governance-bench-fleet';

if (process.argv[2] === ROLE) serve(Number(process.argv[3] ?? 0));

/** The n-th extra loopback address. */
export function originAddress(n) {
  return `127.1.${(n >> 8) & 255}.${n & 255}`;
}

function serve(origins) {
  const counts = { healthOk: 0, deadOpened: 0, deadAborted: 0, notify: 0, lastHealthOkAt: 0, lastDeadAbortedAt: 0 };
  const hanging = new Set();
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const [, kind, pod = ''] = req.url.split('/');
    if (kind === 'health') {
      if (pod.startsWith('dead-')) {
        counts.deadOpened++;
        hanging.add(res);
        res.on('close', () => {
          hanging.delete(res);
          counts.deadAborted++;
          counts.lastDeadAbortedAt = Date.now();
        });
        req.resume();
        return;
      }
      counts.healthOk++;
      counts.lastHealthOkAt = Date.now();
      res.writeHead(200, { 'content-length': '2' }).end('ok');
      return;
    }
    req.resume();
    req.on('end', () => {
      counts.notify++;
      res.writeHead(204).end();
    });
  });
  server.maxConnections = 60_000;
  const servers = [server];
  server.listen(0, '127.0.0.1', async () => {
    const { port } = server.address();
    for (let n = 0; n < origins; n++) {
      const extra = http.createServer({ keepAliveTimeout: 60_000 }, server.listeners('request')[0]);
      await new Promise((resolve, reject) => extra.once('error', reject).listen(port, originAddress(n), resolve));
      servers.push(extra);
    }
    process.send({ type: 'ready', port });
  });
  process.on('message', (msg) => {
    if (msg.type === 'stats') process.send({ type: 'stats', counts: { ...counts, hanging: hanging.size, at: Date.now() } });
    else if (msg.type === 'close') {
      for (const res of hanging) res.destroy();
      for (const s of servers) s.closeAllConnections();
      Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))).then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Starts the fleet in a child process; resolves once it listens on 127.0.0.1 (and `origins` more). */
export async function startFleet({ origins = 0 } = {}) {
  const child = fork(fileURLToPath(import.meta.url), [ROLE, String(origins)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve(msg.port));
    child.once('exit', (code) => reject(new Error(`[bench] the fleet process exited early (code ${code})`)));
  });
  const ask = (type) =>
    new Promise((resolve) => {
      const onMessage = (msg) => {
        if (msg.type !== type) return;
        child.off('message', onMessage);
        resolve(msg.counts);
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  return {
    port,
    pid: child.pid,
    base: `http://127.0.0.1:${port}`,
    bases: Array.from({ length: origins }, (_, n) => `http://${originAddress(n)}:${port}`),
    /** Counters so far: healthOk, deadOpened, deadAborted, notify, hanging, lastHealthOkAt, at. */
    stats: () => ask('stats'),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'close' });
      await exited;
    },
  };
}
