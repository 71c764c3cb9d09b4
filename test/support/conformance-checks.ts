import {
  batchChecks,
  changeFeedArgumentChecks,
  changeFeedChecks,
  changeFeedRaceChecks,
  changeFeedWatchChecks,
  concurrencyChecks,
  copyChecks,
  lifecycleChecks,
  membershipChecks,
  roundtripChecks,
  serviceChecks,
  subscriptionChecks,
} from '@governance/core/testing';

const count = (groups: ReadonlyArray<Readonly<Record<string, unknown>>>): number =>
  groups.map((checks) => Object.keys(checks).length).reduce((a, b) => a + b, 0);

/** Tests every store runs: one per check of the contract's required concerns. */
export const CORE_CONFORMANCE_TESTS = count([serviceChecks, copyChecks, subscriptionChecks, concurrencyChecks, lifecycleChecks, batchChecks, roundtripChecks]);

/** Tests of the optional coordination capabilities (skipped, with a reason, by stores without them). */
export const COORDINATION_CONFORMANCE_TESTS = count([
  { ...changeFeedChecks, ...changeFeedArgumentChecks },
  changeFeedRaceChecks,
  changeFeedWatchChecks,
  membershipChecks,
]);

/** How many tests `runStoreConformance` defines in all. */
export const CONFORMANCE_TESTS = CORE_CONFORMANCE_TESTS + COORDINATION_CONFORMANCE_TESTS;
