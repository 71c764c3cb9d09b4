import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

const SEED_HTTP_GW = `{
    "service_name": "http-gw",
    "pod_name": "http-gw-pod-1",
    "providers": [{"protocol": "http", "ip": "192.168.1.10", "port": 8080}],
    "health_check_url": "http://192.168.1.10:8080/health",
    "notification_url": "http://192.168.1.10:8080/notify",
    "subscriptions": ["diam-gw", "eir"]
  }`;

describe('koa-manager main.mjs', () => {
  it('serves the API under Koa on PORT and exits 0 on SIGTERM', async () => {
    for (const file of ['packages/core/dist/transport/koa.js', 'packages/store-memory/dist/index.js']) {
      if (!existsSync(`${ROOT}${file}`)) {
        throw new Error(`main.mjs runs the BUILT packages and ${file} is missing: run the build first (npx pnpm@10.34.9 -r --filter "./packages/**" run build)`);
      }
    }
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const match = /listening on port (\d+)/.exec(stdout);
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`exited (${code}) before listening: ${stdout}${stderr}`)));
      });
      const base = `http://127.0.0.1:${port}`;
      const created = await fetch(`${base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: SEED_HTTP_GW });
      expect(created.status).toBe(201);
      const group = (await (await fetch(`${base}/services/http-gw`)).json()) as { count: number };
      expect(group.count).toBe(1);
      const other = await fetch(`${base}/metrics`);
      expect(other.status).toBe(404);
      expect(((await other.json()) as { error: string }).error).toMatch(/^koa-manager: no route GET \/metrics/);
      const removed = await fetch(`${base}/unregister?service_name=http-gw&pod_name=http-gw-pod-1`, { method: 'DELETE' });
      expect(removed.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 1 naming PORT when it is not a port number', async () => {
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', PORT: '80a' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toBe('koa-manager: PORT="80a" is not a port number (0 to 65535)\n');
  });
});
