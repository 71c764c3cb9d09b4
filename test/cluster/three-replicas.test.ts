/**
 * Cluster mode end to end (issue 11, "Done means"): three manager processes (node:http adapter,
 * PostgresStore or MySqlStore) on one scratch database, a pod fleet process of a few hundred
 * pods, and the failures of a real deployment — SIGKILL, SIGSTOP past the lease, SIGTERM.
 *
 * Each replica's outgoing sockets come from its own loopback address (127.0.0.2/3/4, see
 * fixtures/replica.ts), so the fleet knows which replica probed a pod or notified a subscriber.
 * Short settings (1 s health interval, 3 s lease) keep the file to a couple of minutes per
 * database; the `cluster` benchmark measures the defaults.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildManager } from '../support/child-manager';
import { SCRATCH_SERVERS, useScratchDatabase, type ScratchDatabase } from '../support/databases';
import { HttpClient, wireRegistration } from '../support/http-client';
import { waitFor } from '../support/wait';
import { startPodFleet, type FleetDelivery, type PodFleet } from '../support/pod-fleet.mjs';

const REPLICA = fileURLToPath(new URL('./fixtures/replica.ts', import.meta.url));
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
const INTERVAL_MS = 1_000;
const LEASE_MS = 3_000;
/** The documented takeover bound after a crash (lease + one renewal interval), plus one probe interval. */
const TAKEOVER_MS = LEASE_MS + LEASE_MS / 3 + INTERVAL_MS;
/** Slack for a 2-core machine shared with other work, on top of every documented bound. */
const SLACK_MS = 1_500;
const GROUPS = Array.from({ length: 10 }, (_, i) => `svc-${i}`);
const PODS_PER_GROUP = 30;
const SUBSCRIBERS = 12;
const CONFIG = {
  healthCheckInterval: INTERVAL_MS,
  healthCheckTimeout: 1_000,
  healthCheckRetry: 0,
  notificationInterval: 30_000,
  notificationTimeout: 1_000,
  clusterLease: LEASE_MS,
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Figures per database, printed at the end (the behaviour is asserted; the timing is reported). */
const figures = new Map<string, Record<string, unknown>>();
afterAll(() => {
  for (const [db, f] of figures) console.log(`[cluster] ${db}: ${JSON.stringify(f)}`);
});

interface Replica {
  index: number;
  address: string;
  process: ChildManager;
  client: HttpClient;
}

/** Probes of `pods` in [since, until): per pod the count and the addresses that probed it. */
async function probeSplit(fleet: PodFleet, pods: Set<string>, since: number, until: number) {
  const intervals = (until - since) / INTERVAL_MS;
  const perPod = new Map<string, { count: number; addresses: Set<string> }>();
  const byAddress = new Map<string, number>();
  for (const [pod, address] of await fleet.probes(since, until)) {
    if (!pods.has(pod)) continue;
    let entry = perPod.get(pod);
    if (entry === undefined) perPod.set(pod, (entry = { count: 0, addresses: new Set() }));
    entry.count++;
    entry.addresses.add(address);
    byAddress.set(address, (byAddress.get(address) ?? 0) + 1);
  }
  const rates = [...pods].map((pod) => (perPod.get(pod)?.count ?? 0) / intervals).sort((a, b) => a - b);
  const total = [...byAddress.values()].reduce((a, b) => a + b, 0);
  const owners = new Map<string, number>();
  for (const entry of perPod.values()) for (const address of entry.addresses) owners.set(address, (owners.get(address) ?? 0) + 1);
  return {
    intervals,
    meanPerPodPerInterval: total / pods.size / intervals,
    minPerPodPerInterval: rates[0] ?? 0,
    maxPerPodPerInterval: rates[rates.length - 1] ?? 0,
    unprobed: [...pods].filter((pod) => !perPod.has(pod)),
    probedByTwo: [...perPod].filter(([, e]) => e.addresses.size > 1).map(([pod, e]) => `${pod} by ${[...e.addresses].join('+')}`),
    /** Share of the fleet's pods each address probed. */
    podShare: Object.fromEntries([...owners].map(([a, n]) => [a, Math.round((n / pods.size) * 1000) / 1000])),
    perPod,
  };
}

/** Pairs of (subscriber, group) with their change (non-reconcile) deliveries since `since`. */
function changeDeliveries(deliveries: FleetDelivery[], subscribers: string[], groups: string[]): Map<string, FleetDelivery[]> {
  const out = new Map<string, FleetDelivery[]>();
  for (const s of subscribers) for (const g of groups) out.set(`${s} ${g}`, []);
  for (const d of deliveries) {
    if (d.eventType === 'reconcile') continue;
    out.get(`${d.pod} ${d.service}`)?.push(d);
  }
  return out;
}

/** Revisions that went backwards per (subscriber, group), in arrival order, across every delivery so far. */
function revisionsBackwards(deliveries: FleetDelivery[]): string[] {
  const last = new Map<string, FleetDelivery>();
  const bad: string[] = [];
  for (const d of deliveries) {
    const key = `${d.pod} ${d.service}`;
    if (typeof d.revision !== 'number' || !Number.isFinite(d.revision)) {
      bad.push(`${key}: ${d.eventType} without a revision`);
      continue;
    }
    const before = last.get(key);
    if (before !== undefined && d.revision < before.revision!) {
      bad.push(`${key}: ${before.eventType} ${before.revision} from ${before.address}, then ${d.eventType} ${d.revision} from ${d.address}`);
    }
    last.set(key, d);
  }
  return bad;
}

async function listed(client: HttpClient): Promise<Set<string>> {
  const answer = await client.json('GET', '/services');
  if (answer.status !== 200) throw new Error(`GET /services answered ${answer.status}`);
  return new Set((answer.body.services as Array<{ service_name: string; pod_name: string }>).map((s) => `${s.service_name}:${s.pod_name}`));
}

async function lists(client: HttpClient, group: string, pod: string): Promise<boolean> {
  const answer = await client.json('GET', `/services/${group}`);
  if (answer.status !== 200) return false;
  return (answer.body.pods as Array<{ pod_name: string }>).some((p) => p.pod_name === pod);
}

function missingFrom(have: Set<string>, want: Iterable<string>): string[] {
  return [...want].filter((key) => !have.has(key));
}

for (const server of SCRATCH_SERVERS) {
  const skip = await server.skip();
  describe.skipIf(skip !== undefined)(`three replicas on one ${server.title} database`, { sequential: true }, () => {
    const db = useScratchDatabase(server);
    const f: Record<string, unknown> = {};
    figures.set(server.label, f);
    let fleet: PodFleet;
    const replicas: Replica[] = [];
    /** Pods the cluster must list (service:pod), as acknowledged so far. */
    const expected = new Set<string>();
    /** Pod names (not keys) the fleet must see probed: every registered pod. */
    const probed = new Set<string>();
    const subscribers = Array.from({ length: SUBSCRIBERS }, (_, i) => `watch-${i}`);
    let scratch: ScratchDatabase;

    const urls = (pod: string) => ({ health: fleet.healthUrl(pod), notify: fleet.notifyUrl(pod) });
    const live = () => replicas.filter((r) => r.process.alive);
    const byAddress = (address: string) => replicas.find((r) => r.address === address);

    async function startReplica(index: number): Promise<Replica> {
      const env = {
        GOV_STORE: scratch.kind,
        GOV_STORE_OPTIONS: JSON.stringify({ ...scratch.storeOptions, host: scratch.host, port: scratch.port }),
        GOV_MANAGER_CONFIG: JSON.stringify(CONFIG),
        GOV_LOCAL_ADDRESS: ADDRESSES[index]!,
      };
      const process = await ChildManager.start(env, 60_000, REPLICA);
      const replica = { index, address: ADDRESSES[index]!, process, client: new HttpClient(process.base, 8) };
      replicas[index] = replica;
      return replica;
    }

    async function register(replica: Replica, group: string, pod: string, subs: string[] = []): Promise<void> {
      const answer = await replica.client.json('POST', '/register', wireRegistration(group, pod, urls(pod), subs));
      if (answer.status !== 201 && answer.status !== 200) {
        throw new Error(`register ${group}:${pod} on replica ${replica.index} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      expected.add(`${group}:${pod}`);
      probed.add(pod);
    }

    async function unregister(replica: Replica, group: string, pod: string): Promise<void> {
      const answer = await replica.client.json('DELETE', `/unregister?service_name=${group}&pod_name=${pod}`);
      if (answer.status !== 200) throw new Error(`unregister ${group}:${pod} on replica ${replica.index} answered ${answer.status}`);
      expected.delete(`${group}:${pod}`);
      probed.delete(pod);
    }

    /**
     * Every live replica lists exactly what the database holds, and that includes every pod in
     * `expected` (acknowledged); resolves with the ms it took. The database may hold more than was
     * acknowledged: a registration in flight to a replica that is killed can commit without its
     * answer ever arriving — allowed, as for one manager (docs/reliability.md).
     */
    async function converged(timeoutMs: number, what: string): Promise<number> {
      const started = Date.now();
      const stored = async (): Promise<Set<string>> => new Set((await scratch.rows()).keys());
      await waitFor(
        async () => {
          const inDatabase = await stored();
          if (missingFrom(inDatabase, expected).length > 0) return false;
          for (const r of live()) {
            const have = await listed(r.client);
            if (have.size !== inDatabase.size || missingFrom(have, inDatabase).length > 0) return false;
          }
          return true;
        },
        what,
        timeoutMs,
      ).catch(async (error: Error) => {
        const inDatabase = await stored();
        const detail = await Promise.all(
          live().map(async (r) => {
            const have = await listed(r.client);
            return `replica ${r.index}: lists ${have.size}, missing ${missingFrom(have, inDatabase).slice(0, 5).join(', ')}`;
          }),
        );
        throw new Error(
          `${error.message} (acknowledged ${expected.size}, in the database ${inDatabase.size}, acknowledged but not stored: ${missingFrom(inDatabase, expected).slice(0, 5).join(', ')}; ${detail.join('; ')})`,
        );
      });
      return Date.now() - started;
    }

    /** Waits until no notification arrived for `quietMs`. */
    async function quiet(quietMs = 1_000): Promise<void> {
      for (let i = 0; i < 30; i++) {
        const since = Date.now() - quietMs;
        if ((await fleet.deliveries(since)).length === 0) return;
        await sleep(250);
      }
    }

    /**
     * Unregisters one pod of each of `groups` (round-robin over the live replicas, so most subscribers
     * were registered through another replica than the change); each subscriber must get exactly one
     * change per group, however many replicas run.
     */
    async function oneChangeOneDelivery(label: string, groups: string[], waitMs: number): Promise<{ addresses: Map<string, string> }> {
      await quiet();
      const since = Date.now();
      const alive = live();
      for (const [n, group] of groups.entries()) {
        const via = alive[n % alive.length]!;
        const victim = [...expected].find((key) => key.startsWith(`${group}:`))!.split(':')[1]!;
        // The changed pod goes through `via`; every subscriber registered elsewhere is the case the issue names.
        await unregister(via, group, victim);
      }
      await sleep(waitMs);
      const got = changeDeliveries(await fleet.deliveries(since), subscribers, groups);
      const wrong = [...got].filter(([, list]) => list.length !== 1).map(([key, list]) => `${key}: ${list.length} (${list.map((d) => d.address).join(', ')})`);
      expect(wrong, `${label}: subscriber/group pairs without exactly one delivery`).toEqual([]);
      const addresses = new Map<string, string>();
      for (const [key, list] of got) addresses.set(key.split(' ')[0]!, list[0]!.address);
      return { addresses };
    }

    beforeAll(async () => {
      scratch = db();
      fleet = await startPodFleet();
      const started = Date.now();
      await Promise.all([0, 1, 2].map((i) => startReplica(i)));
      f.startAllMs = Date.now() - started;
    }, 120_000);

    afterAll(async () => {
      for (const r of replicas) {
        r?.client.close();
        if (r?.process.alive) {
          r.process.child.kill('SIGCONT');
          await r.process.kill('SIGKILL');
        }
      }
      await fleet?.close();
    });

    it('one registry: every replica lists every pod registered round-robin; p50/p99 visibility on the others', async () => {
      // Subscribers to every group, registered round-robin too.
      for (const [i, s] of subscribers.entries()) {
        await register(replicas[i % 3]!, 'watch', s, GROUPS);
      }
      const pods: Array<[string, string]> = [];
      for (const group of GROUPS) for (let p = 0; p < PODS_PER_GROUP; p++) pods.push([group, `${group}-pod-${p}`]);
      let next = 0;
      let lastAckAt = 0;
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          while (next < pods.length) {
            const n = next++;
            const [group, pod] = pods[n]!;
            await register(replicas[n % 3]!, group, pod);
            lastAckAt = Date.now();
          }
        }),
      );
      await converged(10_000, 'every replica listing every pod');
      f.pods = expected.size;
      // Upper bound: includes the last poll's three GET /services.
      f.allListedAfterLastAckMs = Date.now() - lastAckAt;

      // Visibility of single writes: register on replica i, time until both others list it.
      const samples: number[] = [];
      for (let n = 0; n < 30; n++) {
        const via = replicas[n % 3]!;
        const pod = `vis-${n}`;
        await register(via, 'vis', pod);
        const acked = Date.now();
        expect(await lists(via.client, 'vis', pod), 'the replica that took the write lists it at once').toBe(true);
        const others = replicas.filter((r) => r !== via);
        await waitFor(async () => (await Promise.all(others.map((r) => lists(r.client, 'vis', pod)))).every(Boolean), `vis-${n} on the other replicas`, 10_000);
        samples.push(Date.now() - acked);
      }
      samples.sort((a, b) => a - b);
      f.visibilityMs = { samples: samples.length, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: samples[samples.length - 1] };
      await converged(10_000, 'every replica listing the visibility pods');
    }, 90_000);

    it('work done once: each pod probed about once per interval by one replica, none probing over 45 % of the fleet', async () => {
      // Every pod probed at least once before the window opens (the first sweep is over).
      await waitFor(async () => {
        const seen = new Set((await fleet.probes(Date.now() - 2 * INTERVAL_MS)).map(([pod]) => pod));
        return [...probed].every((pod) => seen.has(pod));
      }, 'every pod probed', 15_000);
      const since = Date.now();
      await sleep(6 * INTERVAL_MS);
      const split = await probeSplit(fleet, probed, since, since + 6 * INTERVAL_MS);
      f.probeSplit = { mean: split.meanPerPodPerInterval, min: split.minPerPodPerInterval, max: split.maxPerPodPerInterval, podShare: split.podShare, probedByTwo: split.probedByTwo.length };
      expect(split.unprobed).toEqual([]);
      expect(split.meanPerPodPerInterval).toBeGreaterThanOrEqual(0.7);
      expect(split.meanPerPodPerInterval).toBeLessThanOrEqual(1.5);
      expect(split.maxPerPodPerInterval).toBeLessThanOrEqual(1.5);
      expect(split.probedByTwo).toEqual([]);
      expect(Object.keys(split.podShare).sort()).toEqual([...ADDRESSES].sort());
      for (const share of Object.values(split.podShare)) expect(share).toBeLessThanOrEqual(0.45);
    }, 60_000);

    it('one change → exactly one delivery to each subscriber, also those registered on another replica', async () => {
      const { addresses } = await oneChangeOneDelivery('quiet cluster', GROUPS.slice(0, 3), 3_000);
      f.subscriberOwners = Object.fromEntries([...addresses.values()].reduce((m, a) => m.set(a, (m.get(a) ?? 0) + 1), new Map<string, number>()));
      // Deliveries are split among the replicas too.
      expect(new Set(addresses.values()).size).toBeGreaterThan(1);
      expect(revisionsBackwards(await fleet.deliveries())).toEqual([]);
    }, 60_000);

    it('SIGKILL one replica: its pods probed and its subscribers served again within the takeover time; nothing acknowledged lost; survivors agree', async () => {
      // The victim: the replica notifying the most subscribers (so some subscribers change hands).
      const before = await fleet.deliveries();
      const served = new Map<string, Set<string>>();
      for (const d of before) if (d.eventType !== 'reconcile') (served.get(d.address) ?? served.set(d.address, new Set()).get(d.address)!).add(d.pod);
      const victimAddress = [...served].sort((a, b) => b[1].size - a[1].size)[0]![0];
      const victim = byAddress(victimAddress)!;
      const orphanSubscribers = [...served.get(victimAddress)!];
      const windowStart = Date.now() - 2 * INTERVAL_MS;
      const orphanPods = new Set<string>();
      for (const [pod, address] of await fleet.probes(windowStart)) if (address === victimAddress && probed.has(pod)) orphanPods.add(pod);
      expect(orphanPods.size).toBeGreaterThan(0);

      // Registrations keep coming through all three while the victim dies.
      const acknowledged = new Set<string>();
      let stop = false;
      let n = 0;
      const traffic = Promise.all(
        Array.from({ length: 6 }, async () => {
          while (!stop) {
            const i = n++;
            const targets = live();
            const via = targets[i % targets.length]!;
            const pod = `load-${i}`;
            try {
              const answer = await via.client.json('POST', '/register', wireRegistration('load', pod, urls(pod)));
              if (answer.status === 201 || answer.status === 200) acknowledged.add(`load:${pod}`);
            } catch {
              // Requests in flight to the killed replica fail; they were not acknowledged.
            }
          }
        }),
      );
      await sleep(1_500);
      const killedAt = Date.now();
      await victim.process.kill('SIGKILL');
      victim.client.close();
      // A change right after the kill, through a survivor: the victim's subscribers must still get it.
      const survivors = live();
      await sleep(200);
      const changeGroup = GROUPS[3]!;
      const changed = [...expected].find((key) => key.startsWith(`${changeGroup}:`))!.split(':')[1]!;
      await unregister(survivors[0]!, changeGroup, changed);
      await sleep(1_500);
      stop = true;
      await traffic;
      for (const key of acknowledged) {
        expected.add(key);
        probed.add(key.split(':')[1]!);
      }

      // Its pods are probed again by the survivors.
      let takeoverMs = NaN;
      await waitFor(
        async () => {
          const firsts = new Map<string, number>();
          for (const [pod, address, at] of await fleet.probes(killedAt)) if (address !== victimAddress && orphanPods.has(pod) && !firsts.has(pod)) firsts.set(pod, at);
          if ([...orphanPods].some((pod) => probed.has(pod) && !firsts.has(pod))) return false;
          takeoverMs = Math.max(...firsts.values()) - killedAt;
          return true;
        },
        "every pod of the killed replica probed by a survivor",
        3 * TAKEOVER_MS,
      );
      // Its subscribers get the change (as a change or a reconcile carrying its revision) from a survivor.
      let deliveredMs = NaN;
      const reference = (await fleet.deliveries(killedAt)).find((d) => d.service === changeGroup && d.eventType === 'unregister')?.revision;
      await waitFor(
        async () => {
          if (reference === undefined) return false;
          const got = new Map<string, number>();
          for (const d of await fleet.deliveries(killedAt)) {
            if (d.service === changeGroup && d.address !== victimAddress && (d.revision ?? 0) >= reference && !got.has(d.pod)) got.set(d.pod, d.at);
          }
          if (orphanSubscribers.some((s) => !got.has(s))) return false;
          deliveredMs = Math.max(...orphanSubscribers.map((s) => got.get(s)!)) - killedAt;
          return true;
        },
        "the killed replica's subscribers receiving the change from a survivor",
        3 * TAKEOVER_MS,
      );
      f.sigkill = { pods: orphanPods.size, subscribers: orphanSubscribers.length, probedAgainAfterMs: takeoverMs, deliveredAgainAfterMs: deliveredMs, acknowledgedDuringKill: acknowledged.size, boundMs: TAKEOVER_MS };
      expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_MS + SLACK_MS);
      expect(deliveredMs).toBeLessThanOrEqual(TAKEOVER_MS + SLACK_MS);

      // Zero acknowledged registrations lost, and the survivors list the same pods.
      await converged(10_000, 'the survivors listing every acknowledged pod');
      const [a, b] = await Promise.all(survivors.map((r) => listed(r.client)));
      expect([...a!].sort()).toEqual([...b!].sort());
      expect(missingFrom(a!, acknowledged)).toEqual([]);
      const rows = await scratch.rows();
      expect(missingFrom(new Set(rows.keys()), acknowledged)).toEqual([]);
      expect(revisionsBackwards(await fleet.deliveries())).toEqual([]);

      // The replica comes back (a new process on the same address) and rejoins without duplicating work.
      await startReplica(victim.index);
      await converged(10_000, 'the restarted replica listing every pod');
      await sleep(LEASE_MS + 3 * INTERVAL_MS);
      const since = Date.now();
      await sleep(4 * INTERVAL_MS);
      const split = await probeSplit(fleet, probed, since, since + 4 * INTERVAL_MS);
      f.afterRestart = { mean: split.meanPerPodPerInterval, podShare: split.podShare, probedByTwo: split.probedByTwo.length };
      expect(split.probedByTwo).toEqual([]);
      expect(split.unprobed).toEqual([]);
      expect(Object.keys(split.podShare)).toHaveLength(3);
      await oneChangeOneDelivery('after the restart', GROUPS.slice(4, 5), 3_000);
    }, 120_000);

    it('SIGSTOP longer than the lease, then SIGCONT: its share taken over meanwhile, no double ownership afterwards', async () => {
      const paused = replicas[1]!;
      const pausedPods = new Set<string>();
      for (const [pod, address] of await fleet.probes(Date.now() - 2 * INTERVAL_MS)) if (address === paused.address && probed.has(pod)) pausedPods.add(pod);
      const stoppedAt = Date.now();
      paused.process.child.kill('SIGSTOP');
      await sleep(2 * LEASE_MS + INTERVAL_MS);
      const during = new Set<string>();
      for (const [pod, address] of await fleet.probes(stoppedAt)) if (address !== paused.address && pausedPods.has(pod)) during.add(pod);
      paused.process.child.kill('SIGCONT');
      const resumedAt = Date.now();
      expect(missingFrom(during, pausedPods), 'pods of the paused replica probed by the others while it was stopped').toEqual([]);

      // Right after waking it must not probe as if it still owned its old share: pods probed by
      // two replicas within one interval are counted from its wake-up on, and must stop once settled.
      await sleep(LEASE_MS + 3 * INTERVAL_MS);
      const since = Date.now();
      await sleep(4 * INTERVAL_MS);
      const split = await probeSplit(fleet, probed, since, since + 4 * INTERVAL_MS);
      const early = await probeSplit(fleet, probed, resumedAt, resumedAt + INTERVAL_MS);
      f.sigstop = { pausedPods: pausedPods.size, takenOverWhilePaused: during.size, doubledInFirstIntervalAfterWake: early.probedByTwo.length, settled: { mean: split.meanPerPodPerInterval, podShare: split.podShare, probedByTwo: split.probedByTwo.length } };
      expect(split.probedByTwo).toEqual([]);
      expect(split.unprobed).toEqual([]);
      expect(split.maxPerPodPerInterval).toBeLessThanOrEqual(1.5);
      await oneChangeOneDelivery('after SIGSTOP/SIGCONT', GROUPS.slice(5, 7), 3_000);
      expect(revisionsBackwards(await fleet.deliveries())).toEqual([]);
    }, 90_000);

    it('SIGTERM (graceful stop): its share is taken over at once', async () => {
      const leaving = replicas[0]!;
      const leavingPods = new Set<string>();
      for (const [pod, address] of await fleet.probes(Date.now() - 2 * INTERVAL_MS)) if (address === leaving.address && probed.has(pod)) leavingPods.add(pod);
      expect(leavingPods.size).toBeGreaterThan(0);
      const termAt = Date.now();
      let exitedAfterMs = NaN;
      const exited = leaving.process.kill('SIGTERM').then(() => {
        exitedAfterMs = Date.now() - termAt;
      });
      let takeoverMs = NaN;
      let firstMs = NaN;
      await waitFor(
        async () => {
          const firsts = new Map<string, number>();
          for (const [pod, address, at] of await fleet.probes(termAt)) if (address !== leaving.address && leavingPods.has(pod) && !firsts.has(pod)) firsts.set(pod, at);
          if ([...leavingPods].some((pod) => !firsts.has(pod))) return false;
          takeoverMs = Math.max(...firsts.values()) - termAt;
          firstMs = Math.min(...firsts.values()) - termAt;
          return true;
        },
        'every pod of the stopped replica probed by the others',
        3 * TAKEOVER_MS,
      );
      await exited;
      leaving.client.close();
      const lastOwnProbe = Math.max(0, ...(await fleet.probes(termAt)).filter(([, address]) => address === leaving.address).map(([, , at]) => at - termAt));
      f.sigterm = { pods: leavingPods.size, firstProbedByOthersMs: firstMs, takenOverAfterMs: takeoverMs, processExitedAfterMs: exitedAfterMs, lastProbeByItAfterMs: lastOwnProbe };
      expect(leaving.process.child.exitCode).toBe(0);
      // Well inside the crash path's bound: the replica left, nobody waited for its lease to lapse.
      const logs = () => replicas.map((r) => `replica ${r.index} (${r.address}):\n${r.process.stderr.split('\n').slice(-15).join('\n')}`).join('\n');
      expect(takeoverMs, `takeover after SIGTERM; the replicas' last log lines:\n${logs()}`).toBeLessThan(LEASE_MS);
      await converged(10_000, 'the two remaining replicas listing every pod');
      await oneChangeOneDelivery('after SIGTERM', GROUPS.slice(7, 8), 3_000);
      expect(revisionsBackwards(await fleet.deliveries())).toEqual([]);
    }, 60_000);
  });
}
