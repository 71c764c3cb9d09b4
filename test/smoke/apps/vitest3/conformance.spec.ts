// An app that already uses vitest 3 runs the store conformance suite from the installed
// @governance/core under its own vitest.
import { describe, it } from 'vitest';
import { runStoreConformance } from '@governance/core/testing';
import { MemoryStore } from '@governance/store-memory';

runStoreConformance({ describe, it }, 'MemoryStore', { create: async () => new MemoryStore() });
