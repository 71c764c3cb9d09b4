import { runStoreConformance } from '@governance/core/testing';
import { MemoryStore } from '@governance/store-memory';

runStoreConformance('MemoryStore', { create: async () => new MemoryStore() });
