/**
 * The scrape cost: rendering GET /metrics (prom-client text exposition) and the status page's
 * live part for a manager holding 10,000 pods in 100 services, next to the pod snapshot both
 * read (`getAllServicePods()`), measured in the same rounds.
 */
import { Manager } from '@governance/core';
import { collectMetrics } from '@governance/core/prometheus';
import { createStatusPage } from '@governance/core/ui';
import { MemoryStore } from '@governance/store-memory';
import { QUICK, report, runCases } from '../lib/harness.mjs';

const PODS = 10_000;
const SERVICES = 100;
const STATUSES = ['healthy', 'unhealthy', 'unknown'];

const store = new MemoryStore();
const now = new Date();
for (let i = 0; i < PODS; i++) {
  await store.saveService({
    serviceName: `svc-${String(i % SERVICES).padStart(3, '0')}`,
    podName: `pod-${i}`,
    providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
    healthCheckUrl: 'tcp://127.0.0.1:9',
    notificationUrl: 'http://127.0.0.1:9/notify',
    subscriptions: [`svc-${String((i + 1) % SERVICES).padStart(3, '0')}`],
    status: STATUSES[i % 3],
    lastHealthCheck: now,
    registeredAt: now,
    updatedAt: now,
  });
}
// Checks spread over a day: the probes stay out of the measurement.
const manager = new Manager({ healthCheckInterval: 86_400_000 }, store);
await manager.start();
const metrics = collectMetrics(manager);
const page = createStatusPage(manager);
const exposition = await metrics.metrics();
const live = (await page.serve('/live')).body;

const scrapeTarget = [{ name: 'median < 20 ms', metric: 'medianNs', op: '<', limit: 20e6 }];
const result = await runCases({
  name: 'observability',
  options: QUICK ? {} : { time: 1500 },
  cases: [
    {
      name: `render /metrics, ${PODS} pods in ${SERVICES} services`,
      fn: () => metrics.metrics(),
      baseline: { name: 'getAllServicePods() alone', fn: () => manager.getAllServicePods() },
      targets: scrapeTarget,
      note: `${exposition.length} bytes, ${exposition.split('\n').filter((l) => l && !l.startsWith('#')).length} series`,
    },
    {
      name: `render the status page live part, ${PODS} pods (500 listed)`,
      fn: () => page.serve('/live'),
      baseline: { name: 'getAllServicePods() alone', fn: () => manager.getAllServicePods() },
      targets: [{ name: 'median < 50 ms', metric: 'medianNs', op: '<', limit: 50e6 }],
      note: `${live.length} bytes of HTML`,
    },
  ],
});

report(result, {
  notes: [
    'Durations are nanoseconds per call. Baselines are measured in the same rounds.',
    'Scrape cost target from issue 15: rendering /metrics with 10,000 pods stays well under a scrape interval.',
  ],
});
metrics.close();
page.close();
await manager.stop();
