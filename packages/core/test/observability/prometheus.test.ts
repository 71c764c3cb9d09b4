import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Manager, StoreError, type StoreMutation } from '@governance/core';
import { createNodeListener } from '@governance/core/node';
import { collectMetrics, type GovernanceMetrics } from '@governance/core/prometheus';
import { MemoryStore } from '@governance/store-memory';
import { FAST, Fleet, podRegistration, waitFor } from '../manager/helpers';
import { namingProblems, parseExposition, valueOf } from './exposition';

/** A memory store whose next group commits fail with the queued errors. */
class FlakyStore extends MemoryStore {
  readonly failures: StoreError[] = [];
  override async applyBatch(mutations: readonly StoreMutation[]) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    return super.applyBatch(mutations);
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const fleet = await Fleet.start();
  const store = new FlakyStore();
  const manager = new Manager(
    { ...FAST, healthCheckInterval: 60_000, notificationRetries: 0, storeRetry: { retries: 2, delayMs: 5, maxDelayMs: 10 } },
    store,
  );
  await manager.start();
  const metrics = collectMetrics(manager);
  const server = http.createServer(createNodeListener(manager, { metrics }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () => fleet.close(),
    () => manager.stop(),
    () => metrics.close(),
    () => new Promise<void>((resolve) => server.close(() => resolve())),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const scrape = async () => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    return { text, families: parseExposition(text) };
  };
  return { fleet, store, manager, metrics, scrape };
}

describe('Prometheus metrics scraped over HTTP during a scenario', () => {
  it('move with registrations, an unhealthy pod, a failed delivery and store errors', async () => {
    const { fleet, store, manager, scrape } = await setUp();
    const before = (await scrape()).families;
    expect(valueOf(before, 'governance_registrations_total', { result: 'created' })).toBe(0);
    expect(valueOf(before, 'governance_queue_capacity')).toBe(manager.config.eventQueueSize);

    await manager.register(podRegistration(fleet, 'eir', 'eir-1'));
    await manager.register(podRegistration(fleet, 'eir', 'eir-2'));
    await manager.register(podRegistration(fleet, 'http-gw', 'gw-1', ['eir']));
    await manager.register(podRegistration(fleet, 'http-gw', 'gw-1', ['eir']));
    await expect(manager.register({ ...podRegistration(fleet, 'eir', 'x'), podName: '' })).rejects.toThrow(/podName/);
    await manager.checkNow();
    await waitFor(() => fleet.received('gw-1').length > 0, 'gw-1 to hear about eir');

    let m = (await scrape()).families;
    expect(valueOf(m, 'governance_registrations_total', { result: 'created' })).toBe(3);
    expect(valueOf(m, 'governance_registrations_total', { result: 'unchanged' })).toBe(1);
    expect(valueOf(m, 'governance_registrations_total', { result: 'invalid' })).toBe(1);
    expect(valueOf(m, 'governance_pods', { service: 'eir', status: 'healthy' })).toBe(2);
    expect(valueOf(m, 'governance_pods', { service: 'http-gw', status: 'healthy' })).toBe(1);
    expect(valueOf(m, 'governance_health_checks_total', { result: 'healthy' })).toBeGreaterThanOrEqual(3);
    expect(valueOf(m, 'governance_health_check_duration_seconds_count', { result: 'healthy' })).toBeGreaterThanOrEqual(3);
    expect(valueOf(m, 'governance_notifications_total', { result: 'delivered' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'governance_store_commit_duration_seconds_count')).toBeGreaterThanOrEqual(3);
    const commitsBefore = valueOf(m, 'governance_store_commit_duration_seconds_count')!;

    // eir-2 goes unhealthy; gw-1 refuses the resulting update (no retries configured).
    fleet.setHealth('eir-2', 'down');
    fleet.failNext('gw-1', 1);
    await manager.checkNow();
    await waitFor(() => manager.stats().deliveries.failed === 1, 'the update to gw-1 to fail');

    m = (await scrape()).families;
    expect(valueOf(m, 'governance_pods', { service: 'eir', status: 'healthy' })).toBe(1);
    expect(valueOf(m, 'governance_pods', { service: 'eir', status: 'unhealthy' })).toBe(1);
    expect(valueOf(m, 'governance_status_changes_total', { status: 'unhealthy' })).toBe(1);
    expect(valueOf(m, 'governance_health_checks_total', { result: 'unhealthy' })).toBe(1);
    expect(valueOf(m, 'governance_health_check_duration_seconds_count', { result: 'unhealthy' })).toBe(1);
    expect(valueOf(m, 'governance_notifications_total', { result: 'failed' })).toBe(1);
    expect(valueOf(m, 'governance_notification_delivery_duration_seconds_count', { result: 'failed' })).toBe(1);
    expect(valueOf(m, 'governance_store_commit_duration_seconds_count')).toBeGreaterThan(commitsBefore);

    // A transient store failure is retried (the registration succeeds); a permanent one fails it.
    store.failures.push(new StoreError('memory', 'applyBatch', 'connection reset', { transient: true }));
    await manager.register(podRegistration(fleet, 'eir', 'eir-3'));
    store.failures.push(new StoreError('memory', 'applyBatch', 'constraint violated'));
    await expect(manager.register(podRegistration(fleet, 'eir', 'eir-4'))).rejects.toThrow(/constraint violated/);
    expect(await manager.unregister('eir', 'eir-1')).toBe(true);

    m = (await scrape()).families;
    expect(valueOf(m, 'governance_store_errors_total', { kind: 'transient' })).toBe(1);
    expect(valueOf(m, 'governance_store_errors_total', { kind: 'permanent' })).toBe(1);
    expect(valueOf(m, 'governance_registrations_total', { result: 'created' })).toBe(4);
    expect(valueOf(m, 'governance_registrations_total', { result: 'store_error' })).toBe(1);
    expect(valueOf(m, 'governance_unregistrations_total', { result: 'removed' })).toBe(1);
    expect(valueOf(m, 'governance_pods', { service: 'eir', status: 'unhealthy' })).toBe(1);
  });

  it('follows the Prometheus naming rules, never labels by pod, and omits cluster series outside cluster mode', async () => {
    const { fleet, manager, scrape } = await setUp();
    await manager.register(podRegistration(fleet, 'eir', 'eir-1'));
    await manager.checkNow();
    const { text, families } = await scrape();
    expect(namingProblems(families)).toEqual([]);
    for (const family of families.values()) {
      for (const sample of family.samples) {
        expect(Object.keys(sample.labels).every((l) => ['service', 'status', 'result', 'kind', 'le', 'member'].includes(l))).toBe(true);
      }
    }
    expect(text).not.toContain('eir-1');
    expect(families.get('governance_cluster_members')!.samples).toEqual([]);
    promtoolCheck(text);
  });

  it('registers on the host registry with a prefix, next to the host metrics, and close() removes them', async () => {
    const manager = new Manager({}, new MemoryStore());
    await manager.start();
    cleanups.push(() => manager.stop());
    const registry = new Registry();
    registry.registerMetric(new (await import('prom-client')).Gauge({ name: 'host_up', help: 'the host', registers: [] }));
    const metrics: GovernanceMetrics = collectMetrics(manager, { registry, prefix: 'reg_' });
    const families = parseExposition(await registry.metrics());
    expect(families.has('host_up')).toBe(true);
    expect(families.has('reg_pods')).toBe(true);
    expect([...families.keys()].filter((n) => n.startsWith('governance_'))).toEqual([]);
    expect(() => collectMetrics(manager, { registry, prefix: 'reg_' })).toThrow(/already been registered/);
    metrics.close();
    const after = parseExposition(await registry.metrics());
    expect([...after.keys()]).toEqual(['host_up']);
    expect(manager.listenerCount('registered')).toBe(0);
  });

  it('counts pods from getAllServicePods() for a manager without podCountsByService()', async () => {
    const { fleet, manager } = await setUp();
    await manager.register(podRegistration(fleet, 'eir', 'eir-1'));
    await manager.register(podRegistration(fleet, 'eir', 'eir-2'));
    const older = {
      on: manager.on.bind(manager),
      off: manager.off.bind(manager),
      stats: () => manager.stats(),
      getAllServicePods: () => manager.getAllServicePods(),
    } as Parameters<typeof collectMetrics>[0];
    const metrics = collectMetrics(older, { registry: new Registry() });
    cleanups.push(() => metrics.close());
    const families = parseExposition(await metrics.metrics());
    const eir = families.get('governance_pods')!.samples.filter((sample) => sample.labels.service === 'eir');
    expect(eir.map((sample) => sample.labels.status).sort()).toEqual(['healthy', 'unhealthy', 'unknown']);
    expect(eir.reduce((sum, sample) => sum + sample.value, 0)).toBe(2);
  });

  it('rejects bad options naming them', () => {
    const manager = new Manager({}, new MemoryStore());
    expect(() => collectMetrics(manager, { prefix: 'bad-prefix' })).toThrow(/prefix must match/);
    expect(() => collectMetrics(manager, { maxServiceLabels: 0 })).toThrow(/maxServiceLabels must be/);
  });
});

/** Runs `promtool check metrics` on the exposition when Debian's prometheus package is installed. */
function promtoolCheck(text: string): void {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error !== undefined) {
    console.warn('[observability test] promtool is not installed; the naming rules were checked by the exposition parser only');
    return;
  }
  expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
  expect(run.status).toBe(0);
}
