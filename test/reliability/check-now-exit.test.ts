/**
 * A script whose only pending work is `await manager.checkNow()` must finish it: while a check
 * retries (healthCheckRetry > 0), its backoff timer is unref'd and the socket is closed, so
 * before the fix nothing held the event loop and Node exited with code 13 (unsettled
 * top-level await) in the middle of the sweep.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/check-now-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A TCP port on 127.0.0.1 that nobody listens on: every attempt is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('a process awaiting only checkNow() with healthCheckRetry 3 finishes the sweep and exits with code 0', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/health`;
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, GOV_HEALTH_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output });
    });
  });
  expect(output).toContain('checked app:app-1 unhealthy after 4 attempts');
  expect(code, output).toBe(0);
}, 30_000);
