import {
  batchChecks,
  concurrencyChecks,
  copyChecks,
  lifecycleChecks,
  roundtripChecks,
  serviceChecks,
  subscriptionChecks,
} from '@governance/core/testing';

/** How many tests `runStoreConformance` defines: one per check of every concern. */
export const CONFORMANCE_TESTS = [serviceChecks, copyChecks, subscriptionChecks, concurrencyChecks, lifecycleChecks, batchChecks, roundtripChecks]
  .map((checks) => Object.keys(checks).length)
  .reduce((a, b) => a + b, 0);
