import { ClusterError, Manager, type ManagerConfigInput, type NotificationPayload, type RegistryStore, type ServiceRegistration } from '@governance/core';
import { expect, it } from 'vitest';
import { startStubServer, type StubReply, type StubRequest, type StubServer } from '../../../test/support/stub-server';
import { waitFor } from '../../../test/support/wait';

/** One stub HTTP server (test/support/stub-server) playing every pod: counts health checks per pod, records notifications per subscriber. */
class Fleet {
  readonly checks = new Map<string, number>();
  readonly inbox = new Map<string, NotificationPayload[]>();
  readonly base: string;
  readonly #stub: StubServer;

  private constructor(stub: StubServer) {
    this.#stub = stub;
    this.base = stub.url;
  }

  static async start(): Promise<Fleet> {
    let fleet: Fleet | undefined;
    const stub = await startStubServer((request) => fleet!.#answer(request));
    fleet = new Fleet(stub);
    return fleet;
  }

  pod(serviceName: string, podName: string, subscriptions: string[] = []): ServiceRegistration {
    return {
      serviceName,
      podName,
      providers: [{ protocol: 'http', ip: '10.0.0.1', port: 8080 }],
      healthCheckUrl: `${this.base}/health/${podName}`,
      notificationUrl: `${this.base}/notify/${podName}`,
      subscriptions,
    };
  }

  totalChecks(): number {
    let n = 0;
    for (const count of this.checks.values()) n += count;
    return n;
  }

  close(): Promise<void> {
    return this.#stub.close();
  }

  #answer(request: StubRequest): StubReply {
    const [, kind, pod = ''] = request.path.split('/');
    if (kind === 'health') {
      this.checks.set(pod, (this.checks.get(pod) ?? 0) + 1);
      return { status: 200, body: 'ok' };
    }
    this.inbox.set(pod, [...(this.inbox.get(pod) ?? []), JSON.parse(request.text) as NotificationPayload]);
    return { status: 200, body: '{}' };
  }
}

/** The shared waitFor with this file's argument order. */
const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> => waitFor(check, what, timeoutMs);

const CLUSTER: ManagerConfigInput = {
  healthCheckInterval: 1_000,
  notificationInterval: 3_600_000,
  clusterLease: 2_000,
  clusterPollInterval: 100,
  stopTimeout: 2_000,
};

/**
 * Cluster mode in one process: three managers on one database (each with its own store and
 * pool, as three replicas would have) act as one registry. The multi-process proof (SIGKILL,
 * SIGSTOP, a fleet of hundreds) is test/cluster.
 */
export function managerClusterScenarios(openStore: () => RegistryStore, options: { notifies: boolean }): void {
  // Needs a replica that is not woken by notifications (MySQL has none), so it can fall behind.
  it.skipIf(options.notifies)('a replica that fell behind the pruned log reloads the whole registry and tells its subscribers', async () => {
    const fleet = await Fleet.start();
    const a = new Manager(CLUSTER, openStore());
    const b = new Manager({ ...CLUSTER, clusterPollInterval: 60_000 }, openStore());
    const feed = openStore();
    try {
      await Promise.all([a.start(), b.start()]);
      await until('two members', () => a.stats().cluster?.members.length === 2 && b.stats().cluster?.members.length === 2);
      for (let i = 0; i < 5; i++) await a.register(fleet.pod('pcf', `pcf-${i}`));
      expect(await b.listServices(), 'B has not polled yet').toHaveLength(0);
      await feed.changeFeed!.prune(0);
      // B's next write catches up first, finds the entries it needs pruned, and reloads.
      await b.register(fleet.pod('watcher', 'w-1', ['pcf']));
      expect(b.stats().cluster!.reloads).toBe(1);
      expect((await b.listServices()).map((p) => p.podName).sort()).toEqual(['pcf-0', 'pcf-1', 'pcf-2', 'pcf-3', 'pcf-4', 'w-1']);
      await until('the new subscriber to get pcf with all five pods', () =>
        (fleet.inbox.get('w-1') ?? []).some((p) => p.service_name === 'pcf' && p.pods.length === 5));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await feed.close();
      await fleet.close();
    }
  });

  // Needs notifications: without them there is no hint to skip.
  it.skipIf(!options.notifies)("a replica's own commits are not read back when their notification arrives", async () => {
    const fleet = await Fleet.start();
    const store = openStore();
    const feed = store.changeFeed!;
    const read = feed.readChanges.bind(feed);
    let reads = 0;
    feed.readChanges = (after, options) => {
      reads++;
      return read(after, options);
    };
    // No poll timer in the way: only the lane's catch-up before each batch and the hints read.
    const manager = new Manager({ ...CLUSTER, healthCheckInterval: 3_600_000, clusterPollInterval: 60_000 }, store);
    let batches = 0;
    manager.on('committed', () => batches++);
    try {
      await manager.start();
      for (let i = 0; i < 10; i++) await manager.register(fleet.pod('amf', `amf-${i}`));
      await until('every pod healthy', async () => (await manager.listServices()).every((p) => p.status === 'healthy'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      // One read before each batch; the NOTIFY of each own commit (seq already applied) adds none.
      expect(batches).toBeGreaterThanOrEqual(10);
      expect(reads).toBeLessThanOrEqual(batches + 1);
    } finally {
      await manager.stop();
      await fleet.close();
    }
  });

  it('three managers on one database: one registry, each pod probed by one of them, each change delivered once, handover on stop', async () => {
    const fleet = await Fleet.start();
    const managers = [new Manager(CLUSTER, openStore()), new Manager(CLUSTER, openStore()), new Manager(CLUSTER, openStore())];
    try {
      await Promise.all(managers.map((m) => m.start()));
      await until('every manager to see three members', () => managers.every((m) => m.stats().cluster?.members.length === 3));

      const subscriber = fleet.pod('watcher', 'sub', ['amf']);
      await managers[0]!.register(subscriber);
      const acknowledged = [];
      for (let i = 0; i < 30; i++) acknowledged.push(managers[i % 3]!.register(fleet.pod('amf', `amf-${i}`)));
      await Promise.all(acknowledged);
      await until('every manager to list all 31 pods', async () =>
        (await Promise.all(managers.map((m) => m.listServices()))).every((list) => list.length === 31), 1_000);

      // Each pod is owned (probed) by exactly one live manager.
      await until('the ownership to settle', () => managers.reduce((n, m) => n + m.stats().cluster!.ownedPods, 0) === 31);
      for (const m of managers) expect(m.stats().cluster!.ownedPods).toBeLessThan(31);
      const before = fleet.totalChecks();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const perPodPerInterval = (fleet.totalChecks() - before) / 31 / 3;
      expect(perPodPerInterval).toBeGreaterThan(0.6);
      expect(perPodPerInterval).toBeLessThan(1.5);

      // A change made through a manager that does not deliver to the subscriber reaches it once.
      const owner = managers.findIndex((m) => m.stats().cluster!.ownedSubscribers === 1);
      expect(owner).toBeGreaterThanOrEqual(0);
      const other = managers[(owner + 1) % 3]!;
      await other.register(fleet.pod('amf', 'amf-late'));
      await until('the subscriber to hear of amf-late', () =>
        (fleet.inbox.get('sub') ?? []).some((p) => p.pods.some((pod) => pod.pod_name === 'amf-late')));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const late = (fleet.inbox.get('sub') ?? []).filter((p) => p.event_type === 'register' && p.pods.some((pod) => pod.pod_name === 'amf-late'));
      expect(late).toHaveLength(1);

      // An unregister sent to another manager than the one that took the registration finds it.
      await expect(managers[1]!.unregister('amf', 'amf-0')).resolves.toBe(true);
      await until('every manager to drop amf-0', async () =>
        (await Promise.all(managers.map((m) => m.getService('amf:amf-0')))).every((s) => s === undefined), 1_000);

      // Graceful stop hands the share over at once.
      await managers[2]!.stop();
      await until('the two others to own every pod', () => managers[0]!.stats().cluster!.ownedPods + managers[1]!.stats().cluster!.ownedPods === 31, 3_000);

      // Revisions a subscriber receives never go backwards, whichever manager sent them.
      const revisions = (fleet.inbox.get('sub') ?? []).map((p) => p.revision!);
      expect(revisions.length).toBeGreaterThan(1);
      for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThanOrEqual(revisions[i - 1]!);
    } finally {
      await Promise.all(managers.map((m) => m.stop()));
      await fleet.close();
    }
  });

  it('a health transition found by the owner reaches every manager, and quiet results write nothing to the log', async () => {
    const fleet = await Fleet.start();
    const a = new Manager(CLUSTER, openStore());
    const b = new Manager(CLUSTER, openStore());
    try {
      await Promise.all([a.start(), b.start()]);
      await until('two members', () => a.stats().cluster?.members.length === 2 && b.stats().cluster?.members.length === 2);
      await a.register(fleet.pod('smf', 'smf-1'));
      await until('both to see smf-1 healthy', async () =>
        (await a.getService('smf:smf-1'))?.status === 'healthy' && (await b.getService('smf:smf-1'))?.status === 'healthy');
      const applied = a.stats().cluster!.appliedSeq;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(fleet.checks.get('smf-1')).toBeGreaterThanOrEqual(2);
      expect(a.stats().cluster!.appliedSeq).toBe(applied);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await fleet.close();
    }
  });

  it('a watcher on one replica sees writes made through another, and resumes on a third with its last id', async () => {
    const fleet = await Fleet.start();
    const managers = [new Manager(CLUSTER, openStore()), new Manager(CLUSTER, openStore()), new Manager(CLUSTER, openStore())];
    try {
      await Promise.all(managers.map((m) => m.start()));
      const seen: Array<{ revision: number; eventType: string; pods: string[] }> = [];
      const record = (event: { revision: number; eventType: string; data: Buffer }): void => {
        const payload = JSON.parse(event.data.toString('utf8')) as NotificationPayload;
        seen.push({ revision: event.revision, eventType: event.eventType, pods: payload.pods.map((p) => p.pod_name).sort() });
      };
      const unwatch = managers[1]!.watch(['nrf'], record);
      await managers[0]!.register(fleet.pod('nrf', 'nrf-1'));
      await managers[2]!.register(fleet.pod('nrf', 'nrf-2'));
      await until('the watcher on B to see both registrations', () => seen.some((e) => e.pods.length === 2));
      unwatch();
      const last = seen.at(-1)!.revision;
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.revision).toBeGreaterThan(seen[i - 1]!.revision);

      // A write while nobody watches, then the watcher resumes on another replica from its last id.
      await managers[0]!.register(fleet.pod('nrf', 'nrf-3'));
      await until('C to apply nrf-3', async () => (await managers[2]!.getService('nrf:nrf-3')) !== undefined);
      const resumed: typeof seen = [];
      const stop = managers[2]!.watch(['nrf'], (event) => {
        const payload = JSON.parse(event.data.toString('utf8')) as NotificationPayload;
        resumed.push({ revision: event.revision, eventType: event.eventType, pods: payload.pods.map((p) => p.pod_name).sort() });
      }, { after: last });
      stop();
      expect(resumed).toHaveLength(1);
      expect(resumed[0]!.revision).toBeGreaterThan(last);
      expect(resumed[0]!.pods).toEqual(['nrf-1', 'nrf-2', 'nrf-3']);
    } finally {
      await Promise.all(managers.map((m) => m.stop()));
      await fleet.close();
    }
  });

  it("cluster: false runs one manager the old way (no membership, the host's own revisions)", async () => {
    const fleet = await Fleet.start();
    const m = new Manager({ ...CLUSTER, cluster: false }, openStore());
    try {
      await m.start();
      await m.register(fleet.pod('udm', 'udm-1'));
      expect(m.stats().cluster).toBeUndefined();
      expect((await m.checkHealth()).healthy).toBe(true);
    } finally {
      await m.stop();
      await fleet.close();
    }
  });

  it('on a store with membership but no change feed, a second manager is refused with ClusterError naming the first', async () => {
    const hideFeed = (store: RegistryStore): RegistryStore =>
      new Proxy(store, {
        get(target, property) {
          if (property === 'changeFeed') return undefined;
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const first = new Manager(CLUSTER, hideFeed(openStore()));
    const second = new Manager(CLUSTER, hideFeed(openStore()));
    try {
      await first.start();
      expect(first.stats().cluster).toBeUndefined();
      const error = await second.start().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterError);
      expect(String((error as Error).message)).toMatch(/another manager is already running on this .* store: .* pid \d+/);
      await first.stop();
      const third = new Manager(CLUSTER, hideFeed(openStore()));
      await third.start();
      await third.stop();
    } finally {
      await first.stop();
      await second.stop();
    }
  });
}
