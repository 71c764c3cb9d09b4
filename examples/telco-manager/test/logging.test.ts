import { spawn } from 'node:child_process';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

interface PinoLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function lines(text: string): PinoLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as PinoLine);
}

async function until(check: () => boolean, what: string, output: { text: string }): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output.text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('main.mjs logging (pino)', () => {
  it('at LOG_LEVEL=debug writes JSON lines: each refused check at debug, the given-up notification at warn', async () => {
    if (!existsSync(`${ROOT}packages/core/dist/index.js`)) throw new Error('main.mjs runs the BUILT packages: run the build first');
    const dead = await refusedPort();
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        SERVER_PORT: '0',
        LOG_LEVEL: 'debug',
        WIRE_PROFILE: 'native',
        HEALTH_CHECK_INTERVAL: '200ms',
        HEALTH_CHECK_RETRY: '0',
        NOTIFICATION_INTERVAL: '1h',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await until(() => /listening on port (\d+)/.test(output.text), 'the listening line', output);
      const port = Number(/listening on port (\d+)/.exec(output.text)![1]);
      const register = (pod: string, subscriptions: string[]) =>
        fetch(`http://127.0.0.1:${port}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            service_name: pod.split('-')[0],
            pod_name: pod,
            providers: [{ protocol: 'http', ip: '127.0.0.1', port: dead }],
            health_check_url: `http://127.0.0.1:${dead}/health`,
            notification_url: `http://127.0.0.1:${dead}/notify`,
            subscriptions,
          }),
        });
      expect((await register('watcher-1', ['db'])).status).toBe(201);
      expect((await register('db-1', [])).status).toBe(201);

      const find = (level: number, msg: string) => lines(output.text).filter((l) => l.level === level && l.msg === msg);
      await until(() => find(20, '[core] health check failed').length >= 2, 'two refused checks at debug', output);
      await until(() => find(40, '[core] notification given up').length >= 1, 'a given-up notification at warn', output);
      await until(() => find(30, '[core] pod is unhealthy').length >= 2, 'both pods unhealthy at info', output);

      expect(find(20, '[core] health check failed')[0]).toMatchObject({ healthy: false, attempts: 1 });
      expect(find(20, '[core] notification attempt failed')[0]).toMatchObject({ subscriber: 'watcher:watcher-1', attempt: 1 });
      expect(find(40, '[core] notification given up')[0]).toMatchObject({ subscriberKey: 'watcher:watcher-1', group: 'db' });
      expect(find(30, '[core] pod registered').map((l) => l.key)).toEqual(['watcher:watcher-1', 'db:db-1']);
      expect(lines(output.text).filter((l) => l.level === 30 && /health check|attempt/.test(l.msg))).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('at the default level (info) writes no debug line', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', SERVER_PORT: '0', HEALTH_CHECK_INTERVAL: '1h' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await until(() => /listening on port/.test(output.text), 'the listening line', output);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const levels = new Set(lines(output.text).map((l) => l.level));
    expect([...levels]).toEqual([30]);
  });
});
