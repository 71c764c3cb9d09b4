import assert from 'node:assert/strict';
import type { RegistryChange, StoreChangeFeed } from '../coordination';
import { keyOf, type ServiceInfo } from '../model';
import type { RegistryStore } from '../store';
import { feedOf, until, type CoordinationChecks, type CoordinationInspector } from './coordination-inspector';
import { expectTypedRejection, makeService, malformedServices } from './fixtures';

type Expected = Omit<RegistryChange, 'seq'>;

/** The log position now: where a check starts following. */
export async function headOf(feed: StoreChangeFeed): Promise<number> {
  return (await feed.readChanges(0, { limit: 1 })).head;
}

/** Every change after `after`, page by page (`limit` per read), asserting each page continues the last densely. */
export async function follow(feed: StoreChangeFeed, after: number, limit = 1_000): Promise<RegistryChange[]> {
  const seen: RegistryChange[] = [];
  for (let at = after; ; ) {
    const batch = await feed.readChanges(at, { limit });
    assert.equal(batch.truncated, false, `readChanges(${at}) reported truncated while following`);
    if (batch.changes.length === 0) return seen;
    batch.changes.forEach((c, i) => assert.equal(c.seq, at + 1 + i, `seq after ${at} at index ${i}`));
    seen.push(...batch.changes);
    at = batch.changes.at(-1)!.seq;
  }
}

/** The changes without their seqs, after checking the seqs run densely from `after + 1`. */
function withoutSeqs(changes: readonly RegistryChange[], after: number): Expected[] {
  changes.forEach((c, i) => assert.equal(c.seq, after + 1 + i, `change ${i} should have seq ${after + 1 + i}`));
  return changes.map(({ key, group, kind }) => ({ key, group, kind }));
}

/** The raw log (when the inspector reads it) agrees with what the feed returned. */
async function expectRawLog(inspect: CoordinationInspector | undefined, after: number, seen: readonly RegistryChange[]): Promise<void> {
  if (inspect?.logEntries === undefined) return;
  const raw = (await inspect.logEntries()).filter((c) => c.seq > after);
  assert.deepStrictEqual(raw, [...seen], 'the raw log after the start equals what readChanges returned');
}

const change = (pod: ServiceInfo, kind: RegistryChange['kind']): Expected => ({ key: keyOf(pod), group: pod.serviceName, kind });

/**
 * The change log of a coordinating store (`changeFeed`): what is logged, in which order, what a
 * reader gets back, pruning and snapshots. Writes here go through one store; the races between
 * writers are in `changeFeedRaceChecks`.
 */
export const changeFeedChecks: CoordinationChecks = {
  'every kind of write is logged once per changed pod, with dense seqs': async (store, inspect) => {
    const feed = feedOf(store);
    const a = makeService({ podName: 'a', subscriptions: ['eir'] });
    const b = makeService({ serviceName: 'eir', podName: 'b' });
    const c = makeService({ serviceName: 'smf', podName: 'c' });
    const start = await headOf(feed);
    await store.saveService(a);
    const batch = await feed.applyLoggedBatch([
      { type: 'save', service: b },
      { type: 'save', service: c },
    ]);
    assert.deepStrictEqual({ results: batch.results, lastSeq: batch.lastSeq }, { results: [true, true], lastSeq: start + 3 });
    assert.equal(await store.updateHealthStatus(keyOf(a), 'healthy', new Date('2026-05-01T00:00:00.001Z')), true);
    assert.equal(await store.deleteService(keyOf(b)), true);
    assert.deepStrictEqual((await feed.applyLoggedBatch([{ type: 'health', key: keyOf(c), status: 'unhealthy', at: new Date() }])).results, [true]);
    await store.clear();
    const seen = await follow(feed, start);
    const logged = withoutSeqs(seen, start);
    assert.deepStrictEqual(logged.slice(0, 6), [
      change(a, 'save'),
      change(b, 'save'),
      change(c, 'save'),
      change(a, 'health'),
      change(b, 'delete'),
      change(c, 'health'),
    ]);
    const cleared = logged.slice(6).sort((x, y) => x.key.localeCompare(y.key));
    assert.deepStrictEqual(cleared, [change(a, 'delete'), change(c, 'delete')], 'clear() logs one delete per pod it removed');
    await expectRawLog(inspect, start, seen);
  },

  'writes that change nothing log nothing': async (store, inspect) => {
    const feed = feedOf(store);
    const pod = makeService({ status: 'healthy', subscriptions: ['eir'] });
    await store.saveService(pod);
    const start = await headOf(feed);
    assert.equal(await store.deleteService('http-gw:missing'), false);
    assert.equal(await store.updateHealthStatus('http-gw:missing', 'unhealthy', new Date()), false);
    const later = new Date('2026-06-01T00:00:00.002Z');
    assert.equal(await store.updateHealthStatus(keyOf(pod), 'healthy', later), true, 'a result keeping the status still counts as found');
    assert.deepStrictEqual((await store.getService(keyOf(pod)))?.lastHealthCheck, later, 'the time of a result keeping the status is stored');
    const noop = await feed.applyLoggedBatch([
      { type: 'delete', key: 'http-gw:missing' },
      { type: 'health', key: keyOf(pod), status: 'healthy', at: new Date('2026-06-01T00:00:00.003Z') },
      { type: 'health', key: 'http-gw:missing', status: 'healthy', at: new Date() },
    ]);
    assert.deepStrictEqual(noop, { results: [false, true, false], lastSeq: undefined, changes: [] });
    assert.deepStrictEqual(await feed.applyLoggedBatch([]), { results: [], lastSeq: undefined, changes: [] });
    await store.addSubscription('http-gw:other', 'diam-gw');
    await store.removeSubscription('http-gw:other', 'diam-gw');
    const after = await feed.readChanges(start);
    assert.deepStrictEqual(after.changes, [], 'nothing was logged');
    assert.equal(after.head, start, 'the head did not move');
    await expectRawLog(inspect, start, []);
  },

  'a batch changing one pod several times logs it once, with its final kind': async (store, inspect) => {
    const feed = feedOf(store);
    const a = makeService({ podName: 'a' });
    const b = makeService({ podName: 'b' });
    const c = makeService({ podName: 'c', subscriptions: ['eir'] });
    const start = await headOf(feed);
    const { results, lastSeq, changes } = await feed.applyLoggedBatch([
      { type: 'save', service: a },
      { type: 'health', key: keyOf(a), status: 'healthy', at: new Date() },
      { type: 'save', service: b },
      { type: 'delete', key: keyOf(b) },
      { type: 'save', service: c },
      { type: 'delete', key: keyOf(c) },
      { type: 'save', service: { ...c, subscriptions: [] } },
    ]);
    assert.deepStrictEqual(results, [true, true, true, true, true, true, true]);
    assert.equal(lastSeq, start + 3);
    const seen = await follow(feed, start);
    assert.deepStrictEqual(withoutSeqs(seen, start), [change(a, 'save'), change(b, 'delete'), change(c, 'save')]);
    assert.deepStrictEqual(changes, seen, 'the write reports exactly the entries it appended, with their seqs');
    await expectRawLog(inspect, start, seen);
  },

  'a rolled-back write leaves no entry and no gap': async (store, inspect) => {
    const feed = feedOf(store);
    const kept = makeService({ podName: 'kept' });
    await store.saveService(kept);
    const start = await headOf(feed);
    await expectTypedRejection(
      () =>
        feed.applyLoggedBatch([
          { type: 'save', service: makeService({ podName: 'first' }) },
          { type: 'health', key: keyOf(kept), status: 'sleepy' as never, at: new Date() },
        ]),
      'a batch whose second stage the database rejects',
    );
    for (const [what, bad] of malformedServices(makeService({ podName: 'bad' }))) {
      await expectTypedRejection(() => feed.applyLoggedBatch([{ type: 'delete', key: keyOf(kept) }, { type: 'save', service: bad }]), `a batch with ${what}`);
    }
    assert.equal((await feed.readChanges(start)).head, start, 'rolled-back writes did not move the head');
    const next = makeService({ podName: 'next' });
    const saved = await feed.applyLoggedBatch([{ type: 'save', service: next }]);
    assert.deepStrictEqual({ results: saved.results, lastSeq: saved.lastSeq }, { results: [true], lastSeq: start + 1 });
    const seen = await follow(feed, start);
    assert.deepStrictEqual(withoutSeqs(seen, start), [change(next, 'save')]);
    assert.deepStrictEqual((await store.getAllServices()).map(keyOf).sort(), [keyOf(kept), keyOf(next)].sort());
    await expectRawLog(inspect, start, seen);
  },

  'readChanges returns the records of its changes, read with the log, page by page': async (store) => {
    const feed = feedOf(store);
    const pods = ['p0', 'p1', 'p2', 'p3'].map((podName) => makeService({ podName, subscriptions: ['eir'] }));
    const start = await headOf(feed);
    for (const pod of pods) await store.saveService(pod);
    await store.deleteService(keyOf(pods[1]!));
    await store.updateHealthStatus(keyOf(pods[2]!), 'unhealthy', new Date('2026-07-01T00:00:00.004Z'));
    const all = await feed.readChanges(start);
    assert.equal(all.truncated, false);
    assert.equal(all.head, start + 6);
    assert.equal(all.changes.length, 6);
    for (const pod of pods) {
      const key = keyOf(pod);
      const last = all.changes.filter((c) => c.key === key).at(-1)!;
      const stored = await store.getService(key);
      if (last.kind === 'delete') assert.equal(all.records.has(key), false, `${key} was deleted: no record`);
      else assert.deepStrictEqual(all.records.get(key), stored, `${key}: the record read with the log is the stored one`);
    }
    assert.deepStrictEqual([...all.records.keys()].sort(), [0, 2, 3].map((i) => keyOf(pods[i]!)).sort());
    const first = await feed.readChanges(start, { limit: 2 });
    assert.deepStrictEqual(first.changes, all.changes.slice(0, 2));
    assert.equal(first.head, start + 6, 'head is the log head even when the page stops earlier');
    const rest = await feed.readChanges(start + 2, { limit: 10 });
    assert.deepStrictEqual(rest.changes, all.changes.slice(2));
    const none = await feed.readChanges(start + 6);
    assert.deepStrictEqual({ ...none, records: [...none.records] }, { changes: [], records: [], head: start + 6, truncated: false });
  },

  'a reader behind the pruning horizon is told truncated; the newest entry is always kept': async (store) => {
    const feed = feedOf(store);
    const start = await headOf(feed);
    for (const podName of ['q0', 'q1', 'q2']) await store.saveService(makeService({ podName }));
    const head = start + 3;
    assert.equal(await feed.prune(3_600_000), 0, 'nothing is an hour old');
    assert.deepStrictEqual(withoutSeqs((await feed.readChanges(start)).changes, start).length, 3);
    // Entries written a moment ago are older than 0 ms once the database clock moved on.
    await until(async () => (await feed.prune(0), (await feed.readChanges(start)).truncated), 'prune(0) to pass the reader');
    const behind = await feed.readChanges(start);
    assert.deepStrictEqual(behind.changes, []);
    assert.equal(behind.head, head);
    const newest = await feed.readChanges(head - 1);
    assert.equal(newest.truncated, false, 'the newest entry survives any pruning');
    assert.deepStrictEqual(newest.changes.map((c) => c.seq), [head]);
    assert.equal((await feed.readChanges(head)).truncated, false);
    assert.equal((await feed.readChanges(head + 5)).truncated, true, 'a reader beyond the head (the log went backwards) must reload');
    assert.equal(await feed.prune(0), 0, 'pruning again deletes nothing more');
  },

  'snapshot equals getAllServices and its group revisions survive pruning': async (store) => {
    const feed = feedOf(store);
    const a = makeService({ serviceName: 'amf', podName: 'amf-1', subscriptions: ['smf'] });
    const b = makeService({ serviceName: 'smf', podName: 'smf-1' });
    await store.saveService(a);
    await store.saveService(b);
    const { lastSeq } = await feed.applyLoggedBatch([{ type: 'health', key: keyOf(a), status: 'healthy', at: new Date('2026-08-01T00:00:00.005Z') }]);
    const snap = await feed.snapshot();
    assert.equal(snap.head, lastSeq);
    const byKey = (list: ServiceInfo[]) => [...list].sort((x, y) => keyOf(x).localeCompare(keyOf(y)));
    assert.deepStrictEqual(byKey(snap.services), byKey(await store.getAllServices()));
    assert.equal(snap.groupRevisions.get('amf'), lastSeq, "amf's revision is its last change");
    assert.equal(snap.groupRevisions.get('smf'), lastSeq! - 1);
    await until(async () => (await feed.prune(0), (await feed.readChanges(lastSeq! - 2)).truncated), 'prune(0) to remove the older entries');
    const later = await feed.snapshot();
    assert.equal(later.groupRevisions.get('amf'), lastSeq);
    assert.equal(later.groupRevisions.get('smf'), lastSeq! - 1, 'revisions outlive their log entries');
    assert.equal(later.head, lastSeq);
  },

  'revisions never go backwards': async (store) => {
    const feed = feedOf(store);
    let previous = await feed.snapshot();
    const pod = makeService({ serviceName: 'udm', podName: 'udm-1' });
    let last = previous.head;
    for (const status of ['healthy', 'unhealthy', 'healthy'] as const) {
      await store.saveService({ ...pod, podName: `udm-${status}` });
      const { lastSeq } = await feed.applyLoggedBatch([{ type: 'health', key: `udm:udm-${status}`, status: status === 'healthy' ? 'unhealthy' : 'healthy', at: new Date() }]);
      assert.ok(lastSeq! > last, `seq ${lastSeq} follows ${last}`);
      last = lastSeq!;
      const snap = await feed.snapshot();
      assert.ok(snap.head >= last);
      for (const [group, revision] of previous.groupRevisions) {
        assert.ok((snap.groupRevisions.get(group) ?? -1) >= revision, `revision of ${group} went from ${revision} to ${snap.groupRevisions.get(group)}`);
      }
      previous = snap;
    }
  },

  'flushHealthTimes sets times without logging and never moves them backwards': async (store) => {
    const feed = feedOf(store);
    const a = makeService({ podName: 'a', status: 'healthy', lastHealthCheck: new Date('2026-09-01T00:00:00.010Z') });
    const b = makeService({ podName: 'b', status: 'unhealthy', lastHealthCheck: new Date('2026-09-01T00:00:00.020Z') });
    await store.saveService(a);
    await store.saveService(b);
    const start = await headOf(feed);
    const updated = await feed.flushHealthTimes(
      new Map([
        [keyOf(a), new Date('2026-09-01T00:00:05.111Z')],
        [keyOf(b), new Date('2026-08-01T00:00:00.000Z')],
        ['http-gw:missing', new Date('2026-09-01T00:00:05.111Z')],
      ]),
    );
    assert.equal(updated, 2, 'the two existing pods were flushed, the missing one ignored');
    assert.deepStrictEqual(await store.getService(keyOf(a)), { ...a, lastHealthCheck: new Date('2026-09-01T00:00:05.111Z') });
    assert.deepStrictEqual(await store.getService(keyOf(b)), b, 'an older time does not replace a newer one; status untouched');
    assert.equal(await store.getService('http-gw:missing'), undefined);
    assert.equal(await feed.flushHealthTimes(new Map()), 0);
    assert.deepStrictEqual((await feed.readChanges(start)).changes, [], 'flushing logs nothing');
    await expectTypedRejection(() => feed.flushHealthTimes(new Map([[keyOf(a), new Date(Number.NaN)]])), 'an invalid Date');
  },
};

/** The feed's argument checks: bad positions and limits are typed errors, not queries. */
export const changeFeedArgumentChecks: CoordinationChecks = {
  'bad positions, limits and ages are rejected with a typed error': async (store: RegistryStore) => {
    const feed = feedOf(store);
    for (const after of [-1, 1.5, Number.NaN]) await expectTypedRejection(() => feed.readChanges(after), `readChanges(${after})`);
    for (const limit of [0, -5, 2.5]) await expectTypedRejection(() => feed.readChanges(0, { limit }), `readChanges limit ${limit}`);
    await expectTypedRejection(() => feed.prune(-1), 'prune(-1)');
  },
};
