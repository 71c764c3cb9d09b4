export { checkTestServer, isCI } from './test-server';
export { runStoreConformance } from './store-conformance';
export type {
  ConformanceContext,
  ConformanceRunner,
  ConformanceTestContext,
  StoreCheck,
  StoreChecks,
  StoreConformanceOptions,
  StoreInspector,
} from './conformance-context';
export { describeChecks } from './conformance-context';
export { everyStoreCall, expectStoreError, keysOf, makePods, makeService, makeUnicodeService, pairStrings, sorted } from './fixtures';
export { describeServices, serviceChecks } from './services';
export { copyChecks, describeCopies } from './copies';
export { describeSubscriptions, subscriptionChecks } from './subscriptions';
export { CONCURRENT_CALLS, concurrencyChecks, describeConcurrency } from './concurrency';
export { describeLifecycle, lifecycleChecks } from './lifecycle';
export { batchChecks, describeBatch } from './batch';
export { describeRoundtrip, roundtripChecks } from './roundtrip';
export {
  feedOf,
  membershipOf,
  until,
  type CoordinationCheck,
  type CoordinationChecks,
  type CoordinationConformanceOptions,
  type CoordinationInspector,
  type HeldLock,
} from './coordination-inspector';
export { changeFeedArgumentChecks, changeFeedChecks, follow, headOf } from './change-feed';
export { changeFeedRaceChecks } from './change-feed-races';
export { changeFeedWatchChecks } from './change-feed-watch';
export { membershipChecks } from './membership';
