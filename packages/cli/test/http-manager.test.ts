import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyOf } from '@governance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchPostgres, type ScratchDatabase } from '../../../test/support/databases';
import { postgresSkip } from '../../store-postgres/test/postgres-test-env';
import { CLI_TESTS, ensureBuiltCli, runCli, show, spawnCli } from './support/cli-process';
import { TOKEN, startGoShapedServer, startMemoryManager, type TestManager } from './support/memory-manager';
import { makePods, seedDatabase } from './support/pods';
import { scratchUrl } from './support/scratch-urls';

const skip = await postgresSkip();
const PODS = 300;

describe.skipIf(skip !== undefined)('governance with a running memory-store manager over HTTP (the real binary)', CLI_TESTS, () => {
  let dir: string;
  let memory: TestManager;
  const pods = makePods(PODS, 'mem');
  const keys = pods.map(keyOf).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'governance-cli-test-'));
    [memory] = await Promise.all([startMemoryManager(), ensureBuiltCli()]);
    await memory.register(pods);
  }, 240_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await memory?.close();
  });

  it('exports the memory manager over HTTP and imports the file into PostgreSQL', async () => {
    const pg = await scratchPostgres();
    try {
      const file = join(dir, 'memory.ndjson');
      const exported = await runCli(['export', '--from', memory.url, '--out', file, '--token', TOKEN]);
      expect(exported.code, show(exported)).toBe(0);
      expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(PODS + 1);
      const imported = await runCli(['import', '--to', scratchUrl(pg), '--in', file]);
      expect(imported.code, show(imported)).toBe(0);
      const rows = await pg.rows();
      expect([...rows.keys()].sort()).toEqual(keys);
      for (const pod of pods) expect(rows.get(keyOf(pod))).toEqual([...pod.subscriptions].sort());
    } finally {
      await pg.drop();
    }
  });

  it('migrates memory → PostgreSQL with the token from GOVERNANCE_TOKEN, verify on registration fields', async () => {
    const pg = await scratchPostgres();
    try {
      const run = await runCli(['migrate', '--from', memory.url, '--to', scratchUrl(pg)], { env: { GOVERNANCE_TOKEN: TOKEN } });
      expect(run.code, show(run)).toBe(0);
      expect(run.stdout).toContain('verify (registration fields only');
      expect(run.stdout).toContain('verify: OK');
      expect([...(await pg.rows()).keys()].sort()).toEqual(keys);
      // The pods keep the status and times the manager had.
      const listed = await runCli(['services', '--manager', scratchUrl(pg), '--json']);
      const byKey = new Map((await memory.manager.listServices()).map((p) => [keyOf(p), p]));
      for (const wire of JSON.parse(listed.stdout).services) {
        const there = byKey.get(`${wire.service_name}:${wire.pod_name}`)!;
        expect(wire.registered_at).toBe(there.registeredAt.toISOString());
      }
    } finally {
      await pg.drop();
    }
  });

  it('refuses to read without a token, saying how to pass one (exit 1)', async () => {
    const run = await runCli(['services', '--manager', memory.url]);
    expect(run.code, show(run)).toBe(1);
    expect(run.stderr).toContain('(HTTP 401)');
    expect(run.stderr).toContain('--token or GOVERNANCE_TOKEN');
  });

  it('reads a Go-profile manager (PascalCase records) and keeps its status and times', async () => {
    const go = await startGoShapedServer(pods.slice(0, 50));
    const pg = await scratchPostgres();
    try {
      const run = await runCli(['migrate', '--from', go.url, '--to', scratchUrl(pg)]);
      expect(run.code, show(run)).toBe(0);
      expect(run.stdout).toContain('verify: OK');
      const listed = JSON.parse((await runCli(['services', '--manager', scratchUrl(pg), '--json'])).stdout);
      const first = listed.services.find((s: { pod_name: string }) => s.pod_name === pods[0]!.podName);
      expect(first).toMatchObject({
        status: pods[0]!.status,
        last_health_check: pods[0]!.lastHealthCheck.toISOString(),
        registered_at: pods[0]!.registeredAt.toISOString(),
        updated_at: pods[0]!.registeredAt.toISOString(),
      });
    } finally {
      await go.close();
      await pg.drop();
    }
  });

  it('writes through a manager (POST /register) when it is the target', async () => {
    const pg = await scratchPostgres();
    const target = await startMemoryManager();
    try {
      await seedDatabase(pg, pods.slice(0, 100));
      const run = await runCli(['migrate', '--from', scratchUrl(pg), '--to', target.url, '--to-token', TOKEN]);
      expect(run.code, show(run)).toBe(0);
      expect(run.stdout).toContain('note: writing through a manager registers the pods');
      expect(run.stdout).toContain('verify: OK');
      expect((await target.manager.listServices()).map(keyOf).sort()).toEqual(pods.slice(0, 100).map(keyOf).sort());
    } finally {
      await target.close();
      await pg.drop();
    }
  });

  it('lists services as a table and as JSON', async () => {
    const table = await runCli(['services', '--manager', memory.url, '--token', TOKEN, '--service', 'mem-1']);
    expect(table.code, show(table)).toBe(0);
    expect(table.stdout).toMatch(/^SERVICE\s+POD\s+STATUS\s+PROVIDERS\s+LAST CHECK\s+SUBSCRIBES TO/m);
    expect(table.stdout).toMatch(/^mem-1\s+pod-1\s+(healthy|unhealthy|unknown)\s+udp:\/\/10\.0\.0\.1:2001/m);
    expect(table.stdout).toMatch(/1 services, \d+ pods: /);
    expect(table.stdout).not.toContain('\u001b[');
    const json = JSON.parse((await runCli(['services', '--manager', memory.url, '--token', TOKEN, '--json'])).stdout);
    expect(json.count).toBe(PODS);
    expect(json.services.map((s: { service_name: string; pod_name: string }) => `${s.service_name}:${s.pod_name}`)).toEqual(keys);
  });

  it('watch prints the pods present, then a registration and an unregistration as they happen; Ctrl-C exits 0', async () => {
    const watch = spawnCli(['watch', '--manager', memory.url, '--service', 'mem-7', '--interval', '100'], { env: { GOVERNANCE_TOKEN: TOKEN } });
    try {
      await watch.waitFor(/= mem-7\/pod-7 /);
      const [extra] = makePods(8, 'mem').slice(7).map((p) => ({ ...p, podName: 'pod-new' }));
      await memory.register([extra!]);
      await watch.waitFor(/\+ mem-7\/pod-new registered/);
      const gone = await fetch(`${memory.url}/unregister?service_name=mem-7&pod_name=pod-new`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(gone.status).toBe(200);
      await watch.waitFor(/- mem-7\/pod-new unregistered/);
      watch.child.kill('SIGINT');
      const done = await watch.done;
      expect(done.code, show(done)).toBe(0);
      expect(done.stdout).not.toMatch(/mem-8\//);
    } finally {
      if (watch.child.exitCode === null) watch.child.kill('SIGKILL');
    }
  });
});
