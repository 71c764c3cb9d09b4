import { describe, expect, it } from 'vitest';
import type { GovernanceHandlerManager } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { governanceKoa } from '@governance/core/koa';
import { createNodeListener, type GovernanceAdapterOptions } from '@governance/core/node';
import { DEFAULT_LINGERING_CLOSE } from '../../src/transport/response-writer';

const manager = { register: async () => ({}) } as unknown as GovernanceHandlerManager;
const ADAPTERS: Record<string, (options: GovernanceAdapterOptions) => unknown> = {
  express: (options) => governanceRouter(manager, options),
  koa: (options) => governanceKoa(manager, options),
  'node:http': (options) => createNodeListener(manager, options),
};

describe('adapter options', () => {
  for (const [name, create] of Object.entries(ADAPTERS)) {
    it(`${name}: refuses an unknownRoutes value it does not know, naming the choices`, () => {
      expect(() => create({ unknownRoutes: 'ignore' as never })).toThrow(
        `[core] unknownRoutes must be 'next' or 'respond', got "ignore"`,
      );
      expect(() => create({ unknownRoutes: 'respond' })).not.toThrow();
    });

    it(`${name}: refuses lingering-close bounds that are not whole numbers of 0 or more`, () => {
      expect(() => create({ lingeringClose: { maxBytes: -1 } })).toThrow(
        '[core] lingeringClose.maxBytes must be a whole number of bytes (0 or more), got -1',
      );
      expect(() => create({ lingeringClose: { timeoutMs: 1.5 } })).toThrow(/lingeringClose\.timeoutMs must be a whole number of milliseconds/);
      expect(() => create({ lingeringClose: { maxConnections: Number.NaN } })).toThrow(/lingeringClose\.maxConnections .* got NaN/);
      expect(() => create({ lingeringClose: { maxBytes: 0, timeoutMs: 0, maxConnections: 0 } })).not.toThrow();
    });
  }

  it('lingers up to 16 MiB and 5 s on at most 256 connections by default', () => {
    expect(DEFAULT_LINGERING_CLOSE).toEqual({ maxBytes: 16 * 1024 * 1024, timeoutMs: 5_000, maxConnections: 256 });
  });
});
