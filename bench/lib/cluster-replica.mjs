/**
 * One manager replica for the `cluster` suite, in its own process (the built packages, the
 * node:http adapter, PostgresStore or MySqlStore):
 *
 *   const replica = await startReplica({ store: 'postgres', storeOptions, config, localAddress: '127.0.0.2' });
 *   replica.url; await replica.stats(); replica.kill('SIGKILL'); await replica.stop();
 *
 * `localAddress` binds the replica's outgoing HTTP sockets (health checks, notifications) to that
 * loopback address, so the fleet can tell which replica probed a pod (a measuring aid only).
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const ROLE = 'governance-bench-cluster-replica';

if (process.argv[2] === ROLE) await serve();

async function serve() {
  const localAddress = process.env.GOV_LOCAL_ADDRESS;
  if (localAddress) {
    const original = http.Agent.prototype.createConnection;
    http.Agent.prototype.createConnection = function (options, callback) {
      return original.call(this, { ...options, localAddress }, callback);
    };
  }
  const { Manager } = await import('@governance/core');
  const { createNodeListener } = await import('@governance/core/node');
  const options = JSON.parse(process.env.GOV_STORE_OPTIONS ?? '{}');
  const store =
    process.env.GOV_STORE === 'mysql'
      ? new (await import('@governance/store-mysql')).MySqlStore(options)
      : new (await import('@governance/store-postgres')).PostgresStore(options);
  const manager = new Manager(JSON.parse(process.env.GOV_MANAGER_CONFIG ?? '{}'), store);
  manager.on('error', (error) => process.stderr.write(`[replica ${process.pid}] manager error: ${error.message}\n`));
  await manager.start();
  const api = createNodeListener(manager);
  const server = http.createServer((req, res) => {
    if (req.url === '/__replica') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pid: process.pid, stats: manager.stats() }));
      return;
    }
    api(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    manager.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

/** Starts a replica; resolves once its API listens. */
export async function startReplica({ store, storeOptions, config = {}, localAddress }) {
  const child = fork(fileURLToPath(import.meta.url), [ROLE], {
    env: {
      ...process.env,
      GOV_STORE: store,
      GOV_STORE_OPTIONS: JSON.stringify(storeOptions),
      GOV_MANAGER_CONFIG: JSON.stringify(config),
      GOV_LOCAL_ADDRESS: localAddress ?? '',
    },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await Promise.race([
    new Promise((resolve) => child.once('message', (msg) => resolve(msg.port))),
    exited.then(({ code, signal }) => {
      throw new Error(`[bench] a cluster replica exited before listening (${code ?? signal})`);
    }),
  ]);
  const url = `http://127.0.0.1:${port}`;
  return {
    pid: child.pid,
    url,
    localAddress,
    exited,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    /** `manager.stats()` of the replica. */
    stats: () => getJson(`${url}/__replica`).then((r) => r.stats),
    kill: (signal) => child.kill(signal),
    /** SIGTERM (graceful) unless already gone; resolves on exit. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** GET `url` and parse the JSON answer (throws on a non-2xx status). */
export function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode < 200 || res.statusCode >= 300) reject(new Error(`[bench] GET ${url} answered ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        });
      })
      .on('error', reject);
  });
}

/** POST a JSON body; resolves the status code. */
export function postJson(url, value) {
  const body = JSON.stringify(value);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function closeClientAgent() {
  agent.destroy();
}
