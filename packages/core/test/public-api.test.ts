import { describe, expect, it } from 'vitest';
import * as core from '@governance/core';

// The root of the package is what a host app and a store author need, and nothing more; the
// engine's parts are internal (tests reach them by relative path). A change here is a public
// API change: it needs a changeset.
describe('the root exports of @governance/core', () => {
  it('are exactly the public API', () => {
    expect(Object.keys(core).sort()).toEqual([
      'BodyReadError',
      'ClusterError',
      'DEFAULT_MANAGER_CONFIG',
      'EVENT_TYPES',
      'GovernanceError',
      'KEY_SEPARATOR',
      'LIMITS',
      'Manager',
      'ManagerStoppedError',
      'NotFoundError',
      'PROTOCOLS',
      'QueueFullError',
      'SERVICE_STATUSES',
      'StoreError',
      'TARGET_POLICY_ERROR_CODE',
      'ValidationError',
      'WatchLimitError',
      'applyMutationsSequentially',
      'cloneService',
      'createGovernanceHandler',
      'formatDuration',
      'formatFieldErrors',
      'fromWireRegistration',
      'fromWireService',
      'isGovernanceError',
      'isGovernanceRoute',
      'keyOf',
      'parseDuration',
      'parseRegistration',
      'parseServiceInfo',
      'serviceKey',
      'silentLogger',
      'toWireRegistration',
      'toWireService',
      'validateRegistration',
    ]);
  });
});
