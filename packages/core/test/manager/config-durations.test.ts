import { Manager, ValidationError, type ManagerConfigInput } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { describe, expect, it } from 'vitest';
import { resolveManagerConfig } from '../../src/manager/config';

function configError(input: ManagerConfigInput): string {
  try {
    resolveManagerConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('duration settings', () => {
  it('accept milliseconds or Go-style duration strings and resolve to milliseconds', () => {
    const c = resolveManagerConfig({
      healthCheckInterval: '30s',
      healthCheckTimeout: '500ms',
      notificationInterval: '1m30s',
      notificationTimeout: 2_000,
      stopTimeout: '0',
      deregisterAfter: '1.5h',
    });
    expect(c).toMatchObject({
      healthCheckInterval: 30_000,
      healthCheckTimeout: 500,
      notificationInterval: 90_000,
      notificationTimeout: 2_000,
      stopTimeout: 0,
      deregisterAfter: 5_400_000,
    });
  });

  it('refuse a number below the minimum and suggest the unit', () => {
    expect(configError({ healthCheckInterval: 30 })).toBe(
      "[core] invalid manager config: healthCheckInterval: 30 ms is below the minimum of 100 ms — did you mean '30s'?",
    );
    expect(configError({ healthCheckTimeout: 5 })).toContain("healthCheckTimeout: 5 ms is below the minimum of 50 ms — did you mean '5s'?");
  });

  it('refuse a string below the minimum, naming what it read', () => {
    expect(configError({ notificationInterval: '20ms' })).toContain('notificationInterval: "20ms" (20 ms) is below the minimum of 100 ms');
  });

  it('refuse a bare number as a string, a bad unit, a fraction of a millisecond count, and too long', () => {
    expect(configError({ healthCheckInterval: '30' })).toContain('healthCheckInterval: missing unit in duration "30"; write "30s" or "30ms"');
    expect(configError({ healthCheckInterval: '2d' })).toContain('healthCheckInterval: unknown unit "d" in duration "2d"');
    expect(configError({ healthCheckInterval: 150.5 })).toContain('healthCheckInterval: must be a whole number of milliseconds, got 150.5');
    expect(configError({ healthCheckInterval: '25h' })).toContain('healthCheckInterval: must be at most 24h0m0s (86400000 ms), got "25h"');
    expect(configError({ stopTimeout: -1 })).toContain('stopTimeout: must not be negative, got -1');
    expect(configError({ healthCheckInterval: true as unknown as number })).toContain(
      "healthCheckInterval: must be milliseconds (a number) or a duration string such as '30s'",
    );
  });

  it('names every bad duration at once', () => {
    const message = configError({ healthCheckInterval: 10, notificationTimeout: 'soon' });
    expect(message).toMatch(/healthCheckInterval: 10 ms is below the minimum of 100 ms.*; notificationTimeout: invalid duration "soon"/);
  });

  it('are what the manager runs with', async () => {
    const manager = new Manager({ healthCheckInterval: '10s', notificationInterval: '1m' }, new MemoryStore());
    expect(manager.config.healthCheckInterval).toBe(10_000);
    expect(manager.config.notificationInterval).toBe(60_000);
  });
});

describe('new Manager(config, store) arguments', () => {
  it('hints when the store and the config are swapped', () => {
    const store = new MemoryStore();
    const swapped = () => new (Manager as unknown as new (a: unknown, b: unknown) => Manager)(store, { healthCheckInterval: '10s' });
    expect(swapped).toThrow(ValidationError);
    expect(swapped).toThrow(
      '[core] invalid Manager arguments: config: got a RegistryStore; the arguments are swapped: write new Manager(config, store), config first',
    );
  });

  it('hints when only the store is passed', () => {
    const onlyStore = () => new (Manager as unknown as new (a: unknown) => Manager)(new MemoryStore());
    expect(onlyStore).toThrow('config: got a RegistryStore; the config is missing: write new Manager({}, store)');
  });

  it('names the store when it is missing or not a store', () => {
    expect(() => new Manager({}, undefined as never)).toThrow(
      'store: a RegistryStore (for example new MemoryStore()) is required as the second argument, got nothing',
    );
    expect(() => new Manager({}, {} as never)).toThrow('got an object without saveService()');
  });
});
