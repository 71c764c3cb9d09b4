import assert from 'node:assert/strict';
import type { StoreChangeFeed } from '../coordination';
import type { RegistryStore } from '../store';
import { feedOf, need, uniqueTag, until, type CoordinationChecks } from './coordination-inspector';
import { expectStoreError, makeService } from './fixtures';

/** Counts hints and errors of one `watch`. */
interface Watching {
  hints: number;
  errors: Error[];
  close(): Promise<void>;
}

async function startWatching(feed: StoreChangeFeed): Promise<Watching> {
  if (feed.watch === undefined) throw new Error('[testing] this check needs changeFeed.watch');
  const state = { hints: 0, errors: [] as Error[] };
  const handle = await feed.watch(
    () => state.hints++,
    (error) => state.errors.push(error),
  );
  assert.ok(handle !== undefined, 'watch resolved a handle (undefined means the store has no notifications: then leave watch out)');
  return Object.assign(state, { close: () => handle.close() });
}

/** Writes a new pod through `writer` and resolves whether a hint arrived within `waitMs`. */
async function writeAndHear(writer: RegistryStore, watching: Watching, waitMs: number): Promise<boolean> {
  const before = watching.hints;
  await writer.saveService(makeService({ podName: `w-${uniqueTag()}` }));
  return until(async () => watching.hints > before, 'a hint', waitMs).then(
    () => true,
    () => false,
  );
}

/**
 * `changeFeed.watch`, for stores with notifications (PostgreSQL LISTEN/NOTIFY). Hints are only
 * hints, so nothing here waits for the absence of one; the checks wait (with a deadline) for
 * hints that must come.
 */
export const changeFeedWatchChecks: CoordinationChecks = {
  'a commit through another store instance wakes a watcher': async (store, inspect) => {
    const watching = await startWatching(feedOf(store));
    const peer = await need(inspect, 'openPeer')();
    try {
      assert.equal(await writeAndHear(peer, watching, 10_000), true, 'a hint arrives after a commit by another instance');
      assert.equal(await writeAndHear(store, watching, 10_000), true, 'and after a commit by the watching instance itself');
      assert.deepStrictEqual(watching.errors, []);
    } finally {
      await watching.close();
      await watching.close();
      await peer.close();
    }
  },

  'a killed listening connection is reported and re-established': async (store, inspect) => {
    const watching = await startWatching(feedOf(store));
    const peer = await need(inspect, 'openPeer')();
    try {
      assert.ok((await need(inspect, 'killListeners')()) >= 1, 'a listening connection was found and terminated');
      await until(async () => watching.errors.length > 0, 'onError to be told of the lost connection');
      assert.match(watching.errors[0]!.message, /^\[[\w-]+\] /, 'the error names the package');
      await until(() => writeAndHear(peer, watching, 500), 'hints after a commit to flow again', 20_000);
      assert.equal(await writeAndHear(peer, watching, 10_000), true, 'and they keep flowing');
    } finally {
      await watching.close();
      await peer.close();
    }
  },

  'watch on a closed store rejects with StoreError': async (store) => {
    const feed = feedOf(store);
    await store.close();
    await expectStoreError(() => feed.watch!(() => undefined), 'watch after close');
  },
};
