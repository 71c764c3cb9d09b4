import { afterAll, describe, expect, it } from 'vitest';
import { Fleet } from '../../packages/core/test/manager/helpers';
import { ChildManager } from '../support/child-manager';
import { SCRATCH_SERVERS, useScratchDatabase, type ScratchDatabase } from '../support/databases';
import { HttpClient, wireRegistration } from '../support/http-client';
import { waitFor } from '../support/wait';

const CLIENTS = 16;
/** SIGKILL once this many registrations were acknowledged (the clients are still sending). */
const KILL_AFTER = 160;
const GROUPS = ['db', 'cache', 'queue'];

interface CrashFigures {
  acknowledged: number;
  present: number;
  unanswered: number;
  /** Rows of requests whose answer the kill cut off but whose commit made it (allowed). */
  storedUnacknowledged: number;
}
const figures = new Map<string, CrashFigures>();
afterAll(() => {
  for (const [db, f] of figures) {
    console.log(
      `[reliability] crash ${db}: acknowledged ${f.acknowledged}, present after restart ${f.present}, ` +
        `requests cut off by the kill ${f.unanswered} (of which committed anyway: ${f.storedUnacknowledged})`,
    );
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function subscriptionsFor(client: number, n: number): string[] {
  const count = 1 + ((client + n) % 3);
  return GROUPS.slice(0, count);
}

async function runCrash(label: string, db: ScratchDatabase): Promise<void> {
  const fleet = await Fleet.start();
  const env = {
    GOV_STORE: db.kind,
    GOV_STORE_OPTIONS: JSON.stringify({ ...db.storeOptions, host: db.host, port: db.port }),
    GOV_MANAGER_CONFIG: JSON.stringify({
      healthCheckInterval: 1_000,
      healthCheckTimeout: 1_000,
      healthCheckRetry: 0,
      notificationInterval: 2_000,
      notificationTimeout: 1_000,
    }),
  };
  let first: ChildManager | undefined;
  let second: ChildManager | undefined;
  let client: HttpClient | undefined;
  try {
    first = await ChildManager.start(env);
    client = new HttpClient(first.base, CLIENTS);
    const urls = (pod: string) => ({ health: fleet.healthUrl(pod), notify: fleet.notifyUrl(pod) });
    expect((await client.json('POST', '/register', wireRegistration('db', 'db-1', urls('db-1')))).status).toBe(201);

    const acknowledged = new Map<string, string[]>();
    let unanswered = 0;
    let killing: Promise<void> | undefined;
    const worker = async (c: number): Promise<void> => {
      for (let n = 0; ; n++) {
        const pod = `w${c}-${n}`;
        const subs = subscriptionsFor(c, n);
        let status: number;
        try {
          status = (await client!.json('POST', '/register', wireRegistration(`worker-${c}`, pod, urls(pod), subs))).status;
        } catch {
          unanswered++;
          return;
        }
        if (status >= 200 && status < 300) acknowledged.set(`worker-${c}:${pod}`, [...subs].sort());
        else if (killing === undefined) throw new Error(`unexpected ${status} for ${pod} before the kill`);
        // A few ms of jitter, so the kill lands at a different point of a group commit each run.
        if (acknowledged.size >= KILL_AFTER) killing ??= sleep(Math.random() * 25).then(() => first!.kill('SIGKILL'));
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => worker(c)));
    await killing;
    expect(first.child.signalCode).toBe('SIGKILL');
    client.close();

    const healthBefore = fleet.healthRequests;
    const inboxBefore = new Map<string, number>();
    for (const key of acknowledged.keys()) {
      const pod = key.split(':')[1]!;
      inboxBefore.set(pod, fleet.received(pod).length);
    }

    second = await ChildManager.start(env);
    client = new HttpClient(second.base, 4);
    const rows = await db.rows();
    let present = 0;
    const missing: string[] = [];
    for (const [key, subs] of acknowledged) {
      if (JSON.stringify(rows.get(key)) === JSON.stringify(subs)) present++;
      else missing.push(`${key} (stored: ${JSON.stringify(rows.get(key))}, acknowledged: ${JSON.stringify(subs)})`);
    }
    const storedUnacknowledged = [...rows.keys()].filter((key) => key.startsWith('worker-') && !acknowledged.has(key)).length;
    figures.set(label, { acknowledged: acknowledged.size, present, unanswered, storedUnacknowledged });
    expect(missing).toEqual([]);
    expect(present).toBe(acknowledged.size);

    const listed = await client.json('GET', '/services');
    expect(listed.status).toBe(200);
    const served = new Map<string, string[]>();
    for (const s of listed.body.services as Array<{ service_name: string; pod_name: string; subscriptions: string[] }>) {
      served.set(`${s.service_name}:${s.pod_name}`, [...s.subscriptions].sort());
    }
    for (const [key, subs] of acknowledged) expect(served.get(key), key).toEqual(subs);

    // Only the restarted process can be checking and notifying now.
    await waitFor(() => fleet.healthRequests > healthBefore + 10, 'health checks from the restarted manager', 10_000);
    await waitFor(
      () =>
        [...inboxBefore].some(([pod, before]) => fleet.received(pod).slice(before).some((n) => n.event_type === 'reconcile' && n.service_name === 'db')),
      'a reconcile from the restarted manager reaching a subscriber of db',
      10_000,
    );
  } finally {
    client?.close();
    await first?.kill('SIGKILL');
    await second?.kill('SIGTERM');
    await fleet.close();
  }
}

for (const server of SCRATCH_SERVERS) {
  const skip = await server.skip();
  describe.skipIf(skip !== undefined)(`crash durability on ${server.title} (SIGKILL mid-stream, restart on the same database)`, () => {
    const db = useScratchDatabase(server);

    it('every acknowledged registration survives with its subscriptions; the restarted manager checks and notifies', async () => {
      await runCrash(server.label, db());
    }, 90_000);
  });
}
