import { startTelcoManager } from '../telco-manager/src/app.mjs';
import { startPod } from '../telco-pods/src/pod.mjs';
import { Timeline } from './timeline.mjs';

const HOST = '127.0.0.1';
/** `--keep-open`: after the story, keep the manager, the pods and the status page up until Ctrl-C. */
const KEEP_OPEN = process.argv.slice(2).includes('--keep-open');
const unknownArgs = process.argv.slice(2).filter((a) => a !== '--keep-open');
if (unknownArgs.length > 0) {
  process.stderr.write(`demo: unknown argument ${unknownArgs[0]}; the only option is --keep-open\n`);
  process.exit(2);
}
const STEP_TIMEOUT_MS = 10_000;
const OVERALL_TIMEOUT_MS = 55_000;

const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
const timeline = new Timeline({ color, stepTimeoutMs: STEP_TIMEOUT_MS });
const { say, step } = { say: timeline.say.bind(timeline), step: timeline.step.bind(timeline) };

const podList = (pods) => (pods.length === 0 ? '(no pods)' : pods.map((p) => `${p.pod_name}=${p.status}`).join(', '));
const providerList = (providers) => providers.map((p) => `${p.protocol} ${p.ip}:${p.port}`).join(', ');
const statusIn = (pod, group) => pod.cache.pods(group).map((p) => p.status);

let manager;
const pods = {};

const overall = setTimeout(() => {
  process.stderr.write(`demo: did not finish within ${OVERALL_TIMEOUT_MS / 1000}s\n`);
  process.exit(2);
}, OVERALL_TIMEOUT_MS);
overall.unref();

/** Flips eir's health check and waits until the manager marks it and both subscribers are told (update). */
async function turnEirHealth(healthy, said, waitingFor) {
  const to = healthy ? 'healthy' : 'unhealthy';
  const mark = timeline.events.length;
  pods.eir.setHealthy(healthy);
  say('eir', said);
  await timeline.until(
    waitingFor,
    () =>
      seenSince(mark, { kind: 'status', service: 'eir', to }) &&
      ['http-gw', 'diam-gw'].every(
        (r) => seenSince(mark, { kind: 'notify', receiver: r, group: 'eir', eventType: 'update' }) && statusIn(pods[r], 'eir').join() === to,
      ),
  );
}

async function main() {
  timeline.out('Governance demo: the telco manager and three pods (http-gw, diam-gw, eir) on 127.0.0.1');
  timeline.out('memory store; health check every 1s (timeout 300ms, 1 retry); reconcile every 10s');

  step('1. the manager starts');
  manager = await startTelcoManager({
    env: {
      STORE_TYPE: 'memory',
      HEALTH_CHECK_INTERVAL: '1s',
      HEALTH_CHECK_TIMEOUT: '300ms',
      HEALTH_CHECK_RETRY: '1',
      NOTIFICATION_INTERVAL: '10s',
      NOTIFICATION_TIMEOUT: '1s',
      EVENT_QUEUE_SIZE: '1000',
    },
    port: 0,
    host: HOST,
  });
  const managerUrl = `http://${HOST}:${manager.port}`;
  watchManager(manager.manager);
  say('manager', `listening on ${managerUrl} (Express, API at /register, /unregister, /services, /health)`);
  say('manager', `status page: ${managerUrl}/ui (live), metrics: ${managerUrl}/metrics`);

  step('2. the pods register in the Go example\'s order; each is health-checked at once and subscribers are told');
  pods['http-gw'] = await startTelcoPod('http-gw', managerUrl);
  await timeline.until('http-gw registration', () => timeline.seen({ kind: 'registered', service: 'http-gw' }));
  pods['diam-gw'] = await startTelcoPod('diam-gw', managerUrl);
  await timeline.until('http-gw hearing about diam-gw', () => timeline.seen({ kind: 'notify', receiver: 'http-gw', group: 'diam-gw' }));
  pods.eir = await startTelcoPod('eir', managerUrl);
  await timeline.until(
    'http-gw and diam-gw hearing about eir',
    () =>
      timeline.seen({ kind: 'notify', receiver: 'http-gw', group: 'eir' }) &&
      timeline.seen({ kind: 'notify', receiver: 'diam-gw', group: 'eir' }),
  );

  step('3. every pod is healthy, and the subscribers\' discovery caches agree');
  await timeline.until(
    'all three pods healthy, as seen by their subscribers',
    () =>
      ['eir', 'diam-gw', 'http-gw'].every((s) => timeline.seen({ kind: 'status', service: s, to: 'healthy' })) &&
      statusIn(pods['http-gw'], 'eir').join() === 'healthy' &&
      statusIn(pods['http-gw'], 'diam-gw').join() === 'healthy' &&
      statusIn(pods['diam-gw'], 'eir').join() === 'healthy',
  );
  for (const name of ['http-gw', 'diam-gw']) {
    const view = pods[name].cache.services().map((group) => `${group}: ${pods[name].cache.pods(group).map((p) => `${p.podName}=${p.status}`).join(', ')}`);
    say(name, `knows ${view.join('; ')}`);
  }
  const picked = pods['http-gw'].cache.pick('eir', 'http');
  say('http-gw', `discovery cache picks eir over http: ${picked ? `${picked.ip}:${picked.port} (${picked.podName})` : 'none'}`);

  step('4. eir starts failing its health check');
  await turnEirHealth(false, 'GET /health now answers 503', 'eir marked unhealthy and both subscribers told (update)');
  say('http-gw', `healthy eir endpoints now: ${pods['http-gw'].cache.healthyEndpoints('eir', 'http').length}`);

  step('5. eir recovers');
  await turnEirHealth(true, 'GET /health answers 200 again', 'eir marked healthy again and both subscribers told');

  step('6. http-gw unregisters (no pod subscribes to http-gw, so nobody is notified)');
  await pods['http-gw'].unregister();
  say('http-gw', 'DELETE /unregister?service_name=http-gw&pod_name=http-gw-pod-1 answered 2xx');
  await timeline.until('the manager removing http-gw', () => timeline.seen({ kind: 'unregistered', service: 'http-gw' }));

  step('7. final service table (GET /services, in the Go manager\'s field names: the telco manager speaks the Go profile)');
  const response = await fetch(`${managerUrl}/services`);
  if (!response.ok) throw new Error(`demo: GET /services answered ${response.status}`);
  const { count, services } = await response.json();
  printTable(services);
  timeline.out(`${count} pod(s) registered`);
  if (services.some((s) => s.ServiceName === 'http-gw')) throw new Error('demo: http-gw is still listed after unregistering');
}

function watchManager(m) {
  m.on('registered', (s, outcome) => {
    timeline.record({ kind: 'registered', service: s.serviceName, pod: s.podName });
    say('manager', `registered ${s.serviceName}/${s.podName} (${outcome}): ${providerList(s.providers)}; status ${s.status}` +
      (s.subscriptions.length > 0 ? `; subscribes to ${s.subscriptions.join(', ')}` : ''));
  });
  m.on('statusChanged', (s, previous) => {
    timeline.record({ kind: 'status', service: s.serviceName, pod: s.podName, from: previous, to: s.status });
    say('manager', `health check: ${s.serviceName}/${s.podName} ${previous} -> ${s.status}`);
  });
  m.on('unregistered', (s) => {
    timeline.record({ kind: 'unregistered', service: s.serviceName, pod: s.podName });
    say('manager', `unregistered ${s.serviceName}/${s.podName}`);
  });
  m.on('notificationFailed', (f) => say('manager', `notification to ${f.subscriberKey} about ${f.group} failed: ${f.error?.message ?? f.error}`));
  m.on('error', (error) => say('manager', `error: ${error.message}`));
}

async function startTelcoPod(name, managerUrl) {
  const pod = await startPod({
    name,
    managerUrl,
    host: HOST,
    onNotification: (n) => {
      timeline.record({ kind: 'notify', receiver: name, group: n.service_name, eventType: n.event_type });
      say(name, `<- ${n.event_type.padEnd(10)} group ${n.service_name.padEnd(7)} rev ${n.revision ?? '-'}: ${podList(n.pods)}`);
    },
  });
  say(name, `registered as ${pod.podName} (POST /register answered 2xx); serves /health and /notify on http://${HOST}:${pod.port}`);
  return pod;
}

function seenSince(index, fields) {
  return timeline.events.slice(index).some((event) => Object.entries(fields).every(([k, v]) => event[k] === v));
}

function printTable(services) {
  const rows = [['SERVICE', 'POD', 'STATUS', 'PROVIDERS']];
  for (const s of [...services].sort((a, b) => a.ServiceName.localeCompare(b.ServiceName))) {
    rows.push([s.ServiceName, s.PodName, s.Status, providerList(s.Providers)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) timeline.out(row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

async function shutdown() {
  await manager?.close().catch(() => {});
  await Promise.allSettled(Object.values(pods).map((p) => p.stop()));
}

/** `--keep-open`: the story is told; the page stays up (eir flips its health every 20 s) until Ctrl-C. */
async function keepOpen() {
  clearTimeout(overall);
  const url = `http://${HOST}:${manager.port}/ui`;
  timeline.out('');
  timeline.out(`--keep-open: the manager and the pods stay up. Status page: ${url}`);
  timeline.out('eir flips its health every 20 s so the page has something to show; Ctrl-C stops everything.');
  let healthy = true;
  const flipper = setInterval(() => {
    healthy = !healthy;
    pods.eir.setHealthy(healthy);
    say('eir', healthy ? 'GET /health answers 200 again' : 'GET /health now answers 503');
  }, 20_000);
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(flipper);
  timeline.out('stopping');
}

try {
  await main();
  if (KEEP_OPEN) await keepOpen();
  await shutdown();
  timeline.out('');
  timeline.out(`demo finished in ${timeline.elapsed().trim()}`);
  clearTimeout(overall);
  process.exitCode = 0;
} catch (error) {
  process.stderr.write(`\n${error?.message ?? error}\n`);
  await shutdown();
  process.exit(1);
}
