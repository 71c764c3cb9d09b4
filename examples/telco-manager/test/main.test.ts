import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

function requireBuild(): void {
  for (const file of ['packages/core/dist/index.js', 'packages/core/dist/transport/express.js', 'packages/store-memory/dist/index.js']) {
    if (!existsSync(`${ROOT}${file}`)) {
      throw new Error(`main.mjs runs the BUILT packages and ${file} is missing: run the build first (npx pnpm@10.34.9 -r --filter "./packages/**" run build)`);
    }
  }
}

/** Resolves with the port once the CLI logs that it listens; rejects if it exits first. */
function listeningPort(child: ChildProcessByStdio<null, Readable, Readable>, output: { text: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = /telco-manager listening on port (\d+)/.exec(output.text);
      if (match) {
        child.stderr.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`main.mjs exited (${code}) before listening:\n${output.text}`)));
  });
}

describe('main.mjs', () => {
  it('serves the API on SERVER_PORT and exits 0 on SIGTERM after stopping the manager', async () => {
    requireBuild();
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', SERVER_PORT: '0', HEALTH_CHECK_INTERVAL: '1h' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stderr.on('data', (d: Buffer) => (output.text += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const port = await listeningPort(child, output);
      expect(output.text).toContain('"healthCheckInterval":"1h0m0s"');
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toEqual({ status: 'healthy' });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.text).toContain('[core] manager stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
