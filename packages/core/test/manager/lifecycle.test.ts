import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_MANAGER_CONFIG,
  Manager,
  ManagerStoppedError,
  ValidationError,
  type ManagerConfigInput,
} from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import fc from 'fast-check';
import { RevisionClock, type RevisionSource } from '../../src/manager/revision';
import { FAST, Fleet, podRegistration, waitFor } from './helpers';
import { runFixture } from '../../../../test/support/fixture-process';

/** A MemoryStore that survives a manager's stop(), so a second manager can reuse it. */
class KeptStore extends MemoryStore {
  override async close(): Promise<void> {}
}

interface Step {
  dtMs: number;
  burst: number;
}
interface RestartPlan {
  before: Step[];
  downMs: number;
  atStart: number;
  after: Step[];
}

/** Wall-time steps (ms, negative = the clock is set back), each followed by a burst of revisions. */
const steps: fc.Arbitrary<Step[]> = fc.array(fc.record({ dtMs: fc.integer({ min: -5_000, max: 5_000 }), burst: fc.integer({ min: 1, max: 50 }) }), { maxLength: 30 });
/** Revisions issued by one clock, a restart after `downMs`, then a new clock's first revisions and more steps. */
const restartPlan: fc.Arbitrary<RestartPlan> = fc.record({ before: steps, downMs: fc.integer({ min: 1, max: 10_000 }), atStart: fc.integer({ min: 1, max: 50 }), after: steps });

/**
 * Issues revisions as `plan` says and returns the first one that is not greater than every
 * revision issued before it (undefined when there is none). The restart happens where the
 * clock documents its guarantee: the new process starts after the old one's wall time and
 * after its last revision's millisecond (at most 1 000 revisions per millisecond on average),
 * and issues its first revisions before wall time is set back again as the plan says.
 */
function firstRegression(make: (now: () => number) => RevisionSource, plan: RestartPlan): string | undefined {
  let now = 1_700_000_000_000;
  let highest = -Infinity;
  const run = (clock: RevisionSource, phase: string, list: Step[]): string | undefined => {
    for (const { dtMs, burst } of list) {
      now += dtMs;
      for (let i = 0; i < burst; i++) {
        const revision = clock.next();
        if (!(revision > highest)) return `${phase}: revision ${revision} after ${highest} (wall ${now})`;
        highest = revision;
      }
    }
    return undefined;
  };
  const first = make(() => now);
  const failure = run(first, 'before the restart', plan.before);
  if (failure !== undefined) return failure;
  now = Math.max(now, Math.ceil(highest / 1000)) + plan.downMs;
  return run(make(() => now), 'after the restart', [{ dtMs: 0, burst: plan.atStart }, ...plan.after]);
}

/** A broken clock for the check above: wall-clock microseconds, counting up only within one millisecond. */
class WallFollowingClock implements RevisionSource {
  #wall = Number.NaN;
  #count = 0;
  constructor(readonly now: () => number) {}
  next(): number {
    const wall = Math.floor(this.now());
    this.#count = wall === this.#wall ? this.#count + 1 : 0;
    this.#wall = wall;
    return wall * 1000 + this.#count;
  }
}

function configError(config: unknown): ValidationError {
  try {
    new Manager(config as ManagerConfigInput, new MemoryStore());
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('Manager configuration', () => {
  it("has the Go library's defaults", () => {
    const manager = new Manager({}, new MemoryStore());
    expect(manager.config).toMatchObject({
      healthCheckInterval: 30_000,
      healthCheckTimeout: 5_000,
      healthCheckRetry: 3,
      notificationInterval: 60_000,
      notificationTimeout: 5_000,
      eventQueueSize: 1_000,
    });
    expect(manager.config).toEqual(DEFAULT_MANAGER_CONFIG);
    expect(Object.isFrozen(manager.config)).toBe(true);
  });

  it('rejects bad settings with a ValidationError naming each field', () => {
    const error = configError({ healthCheckInterval: -5, eventQueueSize: 'big', storeRetry: { retries: 99 }, bogus: 1 });
    const paths = error.errors.map((e) => e.path).sort();
    expect(paths).toEqual(['', 'eventQueueSize', 'healthCheckInterval', 'storeRetry.retries'].sort());
    expect(error.message).toMatch(/^\[core\] invalid manager config: /);
    expect(error.message).toContain('healthCheckInterval');
    expect(error.message).toContain('bogus');
    expect(configError({ logger: { info() {} } }).errors[0]!.path).toBe('logger');
    expect(configError({ healthCheckRetry: 1.5 }).errors[0]!.path).toBe('healthCheckRetry');
  });

  it('requires a store', () => {
    expect(() => new Manager({}, undefined as never)).toThrow(/store/);
  });
});

describe('Manager lifecycle', () => {
  let fleet: Fleet;

  beforeEach(async () => {
    fleet = await Fleet.start();
  });

  afterEach(async () => {
    await fleet.close();
  });

  it('refuses changes before start and after stop; start and stop are idempotent', async () => {
    const store = new MemoryStore();
    const manager = new Manager(FAST, store);
    await expect(manager.register(podRegistration(fleet, 'svc', 'p1'))).rejects.toBeInstanceOf(ManagerStoppedError);
    const starts = [manager.start(), manager.start()];
    expect(starts[0]).toBe(starts[1]);
    await Promise.all(starts);
    expect(manager.isRunning).toBe(true);
    await manager.start();
    await manager.register(podRegistration(fleet, 'svc', 'p1'));

    const stops = [manager.stop(), manager.stop()];
    expect(stops[0]).toBe(stops[1]);
    await Promise.all(stops);
    await manager.stop();
    expect(manager.isRunning).toBe(false);
    await expect(manager.register(podRegistration(fleet, 'svc', 'p2'))).rejects.toBeInstanceOf(ManagerStoppedError);
    await expect(manager.unregister('svc', 'p1')).rejects.toBeInstanceOf(ManagerStoppedError);
    await expect(manager.start()).rejects.toBeInstanceOf(ManagerStoppedError);
    // The store was closed by stop(); reads still answer from the last view.
    await expect(store.ping()).rejects.toThrow(/closed/);
    expect((await manager.getService('svc:p1'))?.podName).toBe('p1');
    expect((await manager.checkHealth()).healthy).toBe(false);
  });

  it('applies changes queued before stop()', async () => {
    const manager = new Manager(FAST, new MemoryStore());
    await manager.start();
    const pending = [1, 2, 3].map((i) => manager.register(podRegistration(fleet, 'svc', `p${i}`)));
    await manager.stop();
    expect((await Promise.all(pending)).map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
  });

  it('a restarted manager on the same store resumes checks without re-registration, with newer revisions', async () => {
    const store = new KeptStore();
    const first = new Manager(FAST, store);
    await first.start();
    await first.register(podRegistration(fleet, 'eir', 'watcher', ['diam-gw']));
    await first.register(podRegistration(fleet, 'diam-gw', 'gw-1'));
    await waitFor(() => first.stats().pods.healthy === 2, 'both pods healthy');
    await waitFor(() => fleet.received('watcher').some((p) => p.pods[0]?.status === 'healthy'), 'healthy announced');
    await first.stop();
    const lastRevision = Math.max(...fleet.received('watcher').map((p) => p.revision!));

    fleet.setHealth('gw-1', 'down');
    const second = new Manager({ ...FAST, healthCheckInterval: 200 }, store);
    expect(await second.getService('diam-gw:gw-1')).toBeUndefined();
    await second.start();
    expect((await second.getService('diam-gw:gw-1'))?.status).toBe('healthy');
    expect(second.stats().probes.tracked).toBe(2);
    // The start-up reconcile, then the resumed check's update.
    await waitFor(() => fleet.received('watcher').some((p) => p.event_type === 'reconcile'), 'a reconcile on start');
    await waitFor(async () => (await second.getService('diam-gw:gw-1'))?.status === 'unhealthy', 'resumed checks');
    await waitFor(() => fleet.last('watcher')?.pods[0]?.status === 'unhealthy', 'an update after restart');
    const after = fleet.received('watcher').filter((p) => p.revision! > lastRevision);
    expect(after.length).toBeGreaterThanOrEqual(2);
    expect(fleet.received('watcher').slice(-after.length)).toEqual(after);
    await second.stop();
    expect((await store.getService('diam-gw:gw-1'))?.status).toBe('unhealthy');
  });

  it('revisions strictly increase, also from a new clock after a restart and when wall time is set back', () => {
    fc.assert(fc.property(restartPlan, (plan) => firstRegression((now) => new RevisionClock(now), plan) === undefined), { numRuns: 300 });
  });

  it('the revision property catches a clock that follows the wall clock back', () => {
    const found = fc.check(fc.property(restartPlan, (plan) => firstRegression((now) => new WallFollowingClock(now), plan) === undefined), { numRuns: 300 });
    expect(found.failed).toBe(true);
  });

  it('stop() leaves nothing that keeps the process alive', async () => {
    fleet.setHealth('hung', 'hang');
    const script = fileURLToPath(new URL('./fixtures/exit-child.ts', import.meta.url));
    const { code, output: out } = await runFixture(script, { args: [fleet.base], hangAfterMs: 15_000 });
    expect(out).toContain('stopped');
    const report = JSON.parse(out.slice(out.indexOf('stopped ') + 8).split('\n')[0]!) as { left: string[] };
    expect(report.left).toEqual([]);
    expect(code).toBe(0);
    expect(fleet.received('watcher').length).toBeGreaterThan(0);
  });
});
