import assert from 'node:assert/strict';
import type { LoggedBatchResult, RegistryChange } from '../coordination';
import { keyOf } from '../model';
import { follow, headOf } from './change-feed';
import { feedOf, need, until, type CoordinationChecks } from './coordination-inspector';
import { makePods, makeService } from './fixtures';

/** Settles to the result, or to the error, so a check can await a writer it let run in the background. */
function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/**
 * Writers racing each other, as several managers (or a manager and a tool) do on one database.
 * These need the coordination inspector: locks held on a raw connection stop one writer inside
 * its transaction at a chosen point, and a second store instance writes through its own pool.
 * The trap they pin down: database sequences commit out of order, so a reader that remembers
 * "last seen = 42" loses 41 if 41 becomes visible only after 42.
 */
export const changeFeedRaceChecks: CoordinationChecks = {
  'a writer held before it logs is not skipped by a reader following the log': async (store, inspect) => {
    const feed = feedOf(store);
    const [held, free] = makePods('amf', 2);
    await store.saveService(held!);
    await store.saveService(free!);
    const start = await headOf(feed);
    const lock = await need(inspect, 'lockPod')(keyOf(held!));
    let first: Promise<{ value?: LoggedBatchResult; error?: unknown }>;
    try {
      first = settle(feed.applyLoggedBatch([{ type: 'health', key: keyOf(held!), status: 'healthy', at: new Date() }]));
      await until(async () => (await need(inspect, 'lockWaiters')()) >= 1, 'the first writer to wait for the held pod');
      const second = await feed.applyLoggedBatch([{ type: 'health', key: keyOf(free!), status: 'healthy', at: new Date() }]);
      assert.equal(second.lastSeq, start + 1, 'the writer that commits first gets the next seq');
      const early = await follow(feed, start);
      assert.deepStrictEqual(early.map((c) => [c.seq, c.key]), [[start + 1, keyOf(free!)]]);
    } finally {
      await lock.release();
    }
    const { value, error } = await first;
    assert.equal(error, undefined);
    assert.deepStrictEqual({ results: value!.results, lastSeq: value!.lastSeq }, { results: [true], lastSeq: start + 2 });
    const late = await follow(feed, start + 1);
    assert.deepStrictEqual(late.map((c) => [c.seq, c.key, c.kind]), [[start + 2, keyOf(held!), 'health']], 'the held write arrives after the one the reader saw');
  },

  'a writer that took its log position and waits holds later writers back: a follower never skips it': async (store, inspect) => {
    const feed = feedOf(store);
    const slow = makeService({ serviceName: 'slow', podName: 'slow-1' });
    const fast = makeService({ serviceName: 'fast', podName: 'fast-1' });
    await store.saveService(slow);
    await store.saveService(fast);
    const start = await headOf(feed);
    const seen: RegistryChange[] = [];
    let following = start;
    const lock = await need(inspect, 'lockGroup')('slow');
    let first: Promise<{ value?: LoggedBatchResult; error?: unknown }>;
    let second: Promise<{ value?: LoggedBatchResult; error?: unknown }>;
    try {
      first = settle(feed.applyLoggedBatch([{ type: 'save', service: { ...slow, status: 'healthy' } }]));
      await until(async () => (await need(inspect, 'lockWaiters')()) >= 1, 'the first writer to wait for the held group');
      second = settle(feed.applyLoggedBatch([{ type: 'save', service: { ...fast, status: 'healthy' } }]));
      // The second writer either commits (a design that lets it pass) or waits behind the first.
      await Promise.race([second, until(async () => (await need(inspect, 'lockWaiters')()) >= 2, 'the second writer to commit or wait')]);
      const early = await follow(feed, following);
      seen.push(...early);
      if (early.length > 0) following = early.at(-1)!.seq;
    } finally {
      await lock.release();
    }
    const results = [await first, await second];
    assert.deepStrictEqual(results.map((r) => r.error), [undefined, undefined]);
    seen.push(...(await follow(feed, following)));
    assert.deepStrictEqual(
      seen.map((c) => c.key).sort(),
      [keyOf(fast), keyOf(slow)],
      'the follower saw both writes, none skipped (a reader that jumped past a seq committed later loses it)',
    );
    assert.deepStrictEqual(seen.map((c) => c.seq), [start + 1, start + 2]);
    assert.deepStrictEqual(results.map((r) => r.value!.lastSeq).sort(), [start + 1, start + 2]);
  },

  'concurrent writers on two store instances: every change logged once, densely, in commit order': async (store, inspect) => {
    const feed = feedOf(store);
    const peer = await need(inspect, 'openPeer')();
    try {
      const peerFeed = feedOf(peer);
      const pods = makePods('nrf', 60);
      const start = await headOf(feed);
      const writes = pods.map((pod, i) => {
        const writer = i % 2 === 0 ? feed : peerFeed;
        return writer.applyLoggedBatch([
          { type: 'save', service: pod },
          { type: 'health', key: keyOf(pod), status: 'healthy', at: new Date() },
        ]);
      });
      const results = await Promise.all(writes);
      const seqs = results.map((r) => r.lastSeq!).sort((x, y) => x - y);
      assert.deepStrictEqual(seqs, pods.map((_, i) => start + 1 + i), 'each transaction got one distinct seq, densely');
      const seen = await follow(feed, start, 7);
      assert.equal(seen.length, pods.length);
      assert.deepStrictEqual(seen.map((c) => c.key).sort(), pods.map(keyOf).sort(), 'each pod once');
      assert.ok(seen.every((c) => c.kind === 'save'));
      if (inspect?.logEntries !== undefined) {
        assert.deepStrictEqual((await inspect.logEntries()).filter((c) => c.seq > start), seen);
      }
      const viaPeer = await follow(peerFeed, start);
      assert.deepStrictEqual(viaPeer, seen, 'both instances read the same log');
    } finally {
      await peer.close();
    }
  },
};
