/**
 * A script whose only pending work is `await manager.checkNow()` must finish it: while a check
 * retries (healthCheckRetry > 0), its backoff timer is unref'd and the socket is closed, so
 * before the fix nothing held the event loop and Node exited with code 13 (unsettled
 * top-level await) in the middle of the sweep.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runFixture } from '../support/fixture-process';
import { closedPort } from '../support/ports';

const FIXTURE = fileURLToPath(new URL('./fixtures/check-now-process.ts', import.meta.url));

it('a process awaiting only checkNow() with healthCheckRetry 3 finishes the sweep and exits with code 0', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/health`;
  const { code, output } = await runFixture(FIXTURE, { env: { GOV_HEALTH_URL: url } });
  expect(output).toContain('checked app:app-1 unhealthy after 4 attempts');
  expect(code, output).toBe(0);
}, 30_000);
