import { startPod } from './pod.mjs';
import { TELCO_PODS } from './pods.mjs';

const managerUrl = process.env.MANAGER_URL || 'http://127.0.0.1:8080';
const host = process.env.POD_HOST || '127.0.0.1';
const only = process.env.POD || '';
const names = only === '' ? ['eir', 'diam-gw', 'http-gw'] : [only];

if (only !== '' && TELCO_PODS[only] === undefined) {
  process.stderr.write(`telco-pods: POD=${JSON.stringify(only)} is not one of ${Object.keys(TELCO_PODS).join(', ')}\n`);
  process.exit(1);
}

const stamp = () => new Date().toISOString();
const describePods = (pods) =>
  pods.length === 0 ? '(no pods)' : pods.map((p) => `${p.pod_name} ${p.status}`).join(', ');

const pods = [];
try {
  for (const name of names) {
    const pod = await startPod({
      name,
      managerUrl,
      host,
      onNotification: (n) =>
        console.log(
          `${stamp()} ${name} <- ${n.event_type} ${n.service_name}${n.revision === undefined ? '' : ` rev ${n.revision}`}: ${describePods(n.pods)}`,
        ),
    });
    pods.push(pod);
    console.log(`${stamp()} ${name} registered as ${pod.podName}, listening on http://${host}:${pod.port}`);
  }
} catch (error) {
  process.stderr.write(`telco-pods: could not start against MANAGER_URL=${managerUrl}: ${error?.message ?? error}\n`);
  await Promise.allSettled(pods.map((p) => p.unregister().finally(() => p.stop())));
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    const results = await Promise.allSettled(pods.map((p) => p.unregister()));
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') process.stderr.write(`telco-pods: ${pods[i].name} could not unregister: ${r.reason?.message ?? r.reason}\n`);
      else console.log(`${stamp()} ${pods[i].name} unregistered`);
    }
    await Promise.allSettled(pods.map((p) => p.stop()));
    process.exit(0);
  });
}
