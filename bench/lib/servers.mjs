/**
 * The servers of the end-to-end suites, each in its own process:
 *
 * - `startTelcoManager(env)`: the telco-manager example itself (`examples/telco-manager/src/main.mjs`,
 *   its Express wiring and its console logger), configured by the example's environment
 *   variables. Its log goes to a file, as in a deployment; `logLines()` reads it back.
 * - `startBareApp(env)`: the simplest hand-written registry doing the same visible work: Express,
 *   `express.json()`, the registration kept in a `Map`, one GET of its health URL with
 *   `node:http` (keep-alive global agent), 201.
 *
 * Both take `cpuProfileDir` to run under `node --cpu-prof`; `cpuMs()` reads the process's CPU
 * time (user + system) from /proc, so CPU per request can be compared on a busy machine.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, closeSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const TELCO_MANAGER_MAIN = join(here, '..', '..', 'examples', 'telco-manager', 'src', 'main.mjs');
const ROLE = 'governance-bench-bare-app';

if (process.argv[2] === ROLE) await serveBare(Number(process.env.SERVER_PORT));

/** The bare app: parse, keep in a Map, GET the health URL once (not awaited), answer 201. */
async function serveBare(port) {
  const { default: express } = await import('express');
  const pods = new Map();
  const app = express();
  app.disable('x-powered-by');
  app.post('/register', express.json({ limit: '64kb' }), (req, res) => {
    const reg = req.body;
    pods.set(`${reg.service_name}:${reg.pod_name}`, reg);
    http
      .get(reg.health_check_url, (answer) => answer.resume())
      .on('error', () => {})
      .setTimeout(5_000, function () {
        this.destroy();
      });
    res.status(201).json({ status: 'registered' });
  });
  app.get('/health', (_req, res) => res.json({ status: 'healthy' }));
  const server = app.listen(port, '127.0.0.1');
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** A free TCP port on 127.0.0.1 (released before returning; good enough on one machine). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx, for at most `timeoutMs`. */
export async function waitForHttp(url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await new Promise((resolve) => {
      http
        .get(url, { agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', () => resolve(0));
    });
    if (status >= 200 && status < 300) return;
    if (Date.now() > deadline) throw new Error(`[bench] ${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) of a process, from /proc/<pid>/stat; null where there is no /proc. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after "(comm) state".
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

async function startProcess(label, script, args, env, { cpuProfileDir, logFile } = {}) {
  const port = await freePort();
  const execArgv = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [];
  const log = logFile === undefined ? 'ignore' : openSync(logFile, 'w');
  const child = fork(script, args, {
    env: { ...process.env, ...env, SERVER_PORT: String(port) },
    execArgv,
    stdio: ['ignore', 'ignore', log, 'ipc'],
  });
  if (typeof log === 'number') closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForHttp(`${url}/health`),
    exited.then(({ code }) => {
      throw new Error(`[bench] ${label} exited before serving (code ${code}); see ${logFile ?? 'its output'}`);
    }),
  ]);
  return {
    label,
    pid: child.pid,
    url,
    cpuMs: () => cpuMsOf(child.pid),
    /** SIGTERM, then waits for the exit (a CPU profile is written on the way out). */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Starts the telco-manager example (memory store unless `env.STORE_TYPE` says otherwise) with its
 * own logger at `LOG_LEVEL` (default info). Resolves once `GET /health` answers.
 */
export async function startTelcoManager(env = {}, options = {}) {
  const logFile = options.logFile ?? join(mkdtempSync(join(os.tmpdir(), 'gov-bench-')), 'telco-manager.log');
  const server = await startProcess('telco-manager', TELCO_MANAGER_MAIN, [], { STORE_TYPE: 'memory', LOG_LEVEL: 'info', ...env }, { ...options, logFile });
  return {
    ...server,
    logFile,
    /** The log lines written so far. */
    logLines: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** Starts the bare Express app. Resolves once `GET /health` answers. */
export function startBareApp(options = {}) {
  return startProcess('bare Express app', fileURLToPath(import.meta.url), [ROLE], {}, options);
}
