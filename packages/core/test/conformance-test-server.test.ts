import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkTestServer, isCI } from '@governance/core/testing';

const down = async () => {
  throw new Error('connect ECONNREFUSED 127.0.0.1:1');
};

describe('checkTestServer', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('resolves undefined when the server answers', async () => {
    vi.stubEnv('CI', 'true');
    expect(await checkTestServer('PostgresStore', 'Start it.', async () => {})).toBeUndefined();
  });

  it('outside CI, prints one loud line and resolves the skip reason', async () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const reason = await checkTestServer('PostgresStore', 'Start PostgreSQL on 127.0.0.1:5432.', down);
    expect(reason).toBe(
      'PostgresStore tests SKIPPED: server not reachable (connect ECONNREFUSED 127.0.0.1:1). Start PostgreSQL on 127.0.0.1:5432.',
    );
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toContain(reason);
  });

  it('in CI, an unreachable server fails instead of skipping', async () => {
    vi.stubEnv('CI', 'true');
    await expect(checkTestServer('PostgresStore', 'Start it.', down)).rejects.toThrow(
      /^\[testing\] PostgresStore tests SKIPPED: .* CI=true, so an unreachable server fails the run$/,
    );
  });

  it('reads CI as set unless it is empty, "false" or "0"', () => {
    for (const [value, expected] of [['true', true], ['1', true], ['yes', true], ['', false], ['false', false], ['0', false]] as const) {
      vi.stubEnv('CI', value);
      expect(isCI(), `CI=${JSON.stringify(value)}`).toBe(expected);
    }
    vi.stubEnv('CI', undefined);
    expect(isCI()).toBe(false);
  });
});
