import { PassThrough } from 'node:stream';
import { Console } from 'node:console';
import { Manager, StoreError, type Logger } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleLogger } from '../../src/manager/console-logger';
import { FAST, Fleet, deliveriesSettled, podRegistration, waitFor } from './helpers';
import { closedPort as refusedPort } from '../../../../test/support/ports';

type Level = 'debug' | 'info' | 'warn' | 'error';
interface Entry {
  level: Level;
  msg: string;
  fields: Record<string, unknown>;
}

/** A pino-shaped logger that keeps every entry; `level` filters like pino's and answers isLevelEnabled. */
function recordingLogger(level: Level = 'debug'): Logger & { entries: Entry[]; isLevelEnabled(l: string): boolean } {
  const order: Level[] = ['debug', 'info', 'warn', 'error'];
  const entries: Entry[] = [];
  const enabled = (l: string): boolean => order.indexOf(l as Level) >= order.indexOf(level);
  const write = (l: Level) => (obj: object, msg?: string) => {
    if (enabled(l)) entries.push({ level: l, msg: msg ?? '', fields: { ...obj } as Record<string, unknown> });
  };
  return { entries, isLevelEnabled: enabled, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

describe('the manager log', () => {
  let fleet: Fleet;
  let manager: Manager | undefined;
  beforeEach(async () => {
    fleet = await Fleet.start();
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await fleet.close();
  });

  it('logs refused health checks and failed deliveries at debug, status changes at info, a given-up notification at warn', async () => {
    const logger = recordingLogger('debug');
    manager = new Manager({ ...FAST, notificationRetries: 1, logger }, new MemoryStore());
    await manager.start();
    fleet.failNext('watcher-1', 100);
    await manager.register(podRegistration(fleet, 'watcher', 'watcher-1', ['db']));
    const port = await refusedPort();
    await manager.register({ ...podRegistration(fleet, 'db', 'db-1'), healthCheckUrl: `http://127.0.0.1:${port}/health` });
    await waitFor(async () => (await manager!.getService('db:db-1'))?.status === 'unhealthy', 'db-1 unhealthy');
    await waitFor(() => logger.entries.some((e) => e.level === 'warn'), 'the given-up notification');
    await deliveriesSettled(manager);

    const { entries } = logger;
    const at = (level: Level, msg: string) => entries.filter((e) => e.level === level && e.msg === msg);

    // debug: each probe result, with the pod and why it failed
    const refused = at('debug', '[core] health check failed').filter((e) => e.fields.key === 'db:db-1');
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.fields).toMatchObject({ healthy: false, attempts: 1 });
    expect(String(refused[0]!.fields.error)).toMatch(/ECONNREFUSED|refused/i);
    expect(at('debug', '[core] health check passed').some((e) => e.fields.key === 'watcher:watcher-1')).toBe(true);

    // debug: each delivery attempt, numbered, with the answer
    const attempts = at('debug', '[core] notification attempt failed').filter((e) => e.fields.subscriber === 'watcher:watcher-1');
    expect(attempts.some((e) => e.fields.attempt === 1)).toBe(true);
    expect(attempts.some((e) => e.fields.attempt === 2)).toBe(true);
    expect(attempts[0]!.fields).toMatchObject({ group: 'db', status: 503, error: 'HTTP 503' });

    // warn: retries exhausted
    const gaveUp = at('warn', '[core] notification given up');
    expect(gaveUp.length).toBeGreaterThanOrEqual(1);
    expect(gaveUp[0]!.fields).toMatchObject({ subscriberKey: 'watcher:watcher-1', group: 'db', attempts: 2, status: 503 });
    expect(gaveUp[0]!.fields.err).toBeInstanceOf(Error);

    // info: registrations and status changes, never a per-probe or per-delivery line
    expect(at('info', '[core] pod registered').map((e) => e.fields.key)).toEqual(['watcher:watcher-1', 'db:db-1']);
    expect(at('info', '[core] pod is unhealthy').some((e) => e.fields.key === 'db:db-1' && e.fields.from === 'unknown')).toBe(true);
    const infoMessages = new Set(entries.filter((e) => e.level === 'info').map((e) => e.msg));
    expect([...infoMessages].sort()).toEqual(['[core] manager started', '[core] pod is healthy', '[core] pod is unhealthy', '[core] pod registered'].sort());
    expect(entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it('writes no debug line at all when the logger is at info', async () => {
    const logger = recordingLogger('info');
    let debugCalls = 0;
    const counting = { ...logger, debug: () => void debugCalls++ };
    manager = new Manager({ ...FAST, logger: counting }, new MemoryStore());
    await manager.start();
    await manager.register(podRegistration(fleet, 'api', 'api-1'));
    await manager.checkNow();
    await manager.checkNow();
    expect(debugCalls).toBe(0);
  });

  it('logs a store failure at error, naming the store and how many changes failed', async () => {
    class FailingStore extends MemoryStore {
      override async saveService(): Promise<void> {
        throw new StoreError('memory', 'saveService', 'disk full');
      }
      override async applyBatch(): Promise<boolean[]> {
        throw new StoreError('memory', 'applyBatch', 'disk full');
      }
    }
    const logger = recordingLogger('debug');
    manager = new Manager({ ...FAST, logger, storeRetry: { retries: 0 } }, new FailingStore());
    await manager.start();
    await expect(manager.register(podRegistration(fleet, 'api', 'api-1'))).rejects.toThrow(/disk full/);
    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ store: 'store-memory', rejected: 1, lostResults: 0 });
    expect(errors[0]!.msg).toMatch(/the store failed to apply changes/);
  });
});

describe('logger: console', () => {
  function captured(): { console: Console; text: () => string } {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { console: new Console({ stdout: out, stderr: out }), text: () => text };
  }

  it('prints the message first and the fields as key=value, without {} noise', async () => {
    const sink = captured();
    const log = consoleLogger(sink.console);
    log.info({}, '[core] manager stopped');
    log.info({ key: 'eir:eir-1', outcome: 'created', skipped: undefined }, '[core] pod registered');
    log.warn({ err: new Error('HTTP 503'), group: 'db' }, '[core] notification given up');
    log.error({ note: 'two words' }, '[core] failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.text()).toBe(
      '[core] manager stopped\n' +
        '[core] pod registered key=eir:eir-1 outcome=created\n' +
        '[core] notification given up err="HTTP 503" group=db\n' +
        '[core] failed note="two words"\n',
    );
  });

  it('is used when the manager is given the global console, and hides debug lines unless NODE_DEBUG names governance', () => {
    const manager = new Manager({ logger: console }, new MemoryStore());
    expect(manager.config.logger).not.toBe(console);
    const sink = captured();
    consoleLogger(sink.console).debug({ key: 'a:1' }, '[core] health check passed');
    expect(sink.text()).toBe('');
  });
});
