import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM JavaScript without type declarations
import { ConfigError, loadConfig } from '../src/config.mjs';

const MAIN = fileURLToPath(new URL('../src/main.mjs', import.meta.url));

function runMain(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to throw`);
}

describe('loadConfig', () => {
  it("uses the Go telco example's defaults and the memory store", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      logLevel: 'info',
      manager: {
        healthCheckInterval: 30_000,
        healthCheckTimeout: 5_000,
        healthCheckRetry: 3,
        notificationInterval: 60_000,
        notificationTimeout: 5_000,
        eventQueueSize: 1_000,
        wireProfile: 'go',
        cluster: 'auto',
        clusterLease: 5_000,
      },
      store: { type: 'memory' },
    });
  });

  it('reads every variable of the Go example', () => {
    const config = loadConfig({
      SERVER_PORT: '9090',
      HEALTH_CHECK_INTERVAL: '1m30s',
      HEALTH_CHECK_TIMEOUT: '300ms',
      HEALTH_CHECK_RETRY: '0',
      NOTIFICATION_INTERVAL: '1.5s',
      NOTIFICATION_TIMEOUT: '2s',
      EVENT_QUEUE_SIZE: '50',
      STORE_TYPE: 'postgres',
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_NAME: 'gov',
      DB_USER: 'app',
      DB_PASSWORD: 'secret',
      DB_SSL_MODE: 'verify-full',
      WIRE_PROFILE: 'Native',
      LOG_LEVEL: 'debug',
      CLUSTER: 'off',
      CLUSTER_LEASE: '3s',
    });
    expect(config).toEqual({
      port: 9090,
      logLevel: 'debug',
      manager: {
        healthCheckInterval: 90_000,
        healthCheckTimeout: 300,
        healthCheckRetry: 0,
        notificationInterval: 1_500,
        notificationTimeout: 2_000,
        eventQueueSize: 50,
        wireProfile: 'native',
        cluster: false,
        clusterLease: 3_000,
      },
      store: {
        type: 'postgres',
        host: 'db.internal',
        port: 6543,
        database: 'gov',
        user: 'app',
        password: 'secret',
        sslMode: 'verify-full',
      },
    });
  });

  it('refuses a cluster setting it does not know, naming the variable', () => {
    expect(() => loadConfig({ CLUSTER: 'yes' })).toThrow(/CLUSTER="yes" is not one of auto, off/);
    expect(() => loadConfig({ CLUSTER_LEASE: '500ms' })).toThrow(/CLUSTER_LEASE="500ms" is out of range \(allowed: 1s to 10m\)/);
  });

  it('fills in per-store defaults for DB_* variables left out', () => {
    expect(loadConfig({ STORE_TYPE: 'postgres' }).store).toEqual({
      type: 'postgres', host: 'localhost', port: 5432, database: 'governance_db', user: 'postgres', password: 'postgres', sslMode: 'disable',
    });
    expect(loadConfig({ STORE_TYPE: 'mysql' }).store).toMatchObject({ port: 3306, user: 'root', password: undefined });
    expect(loadConfig({ STORE_TYPE: 'mongodb' }).store).toMatchObject({ port: 27017, user: undefined });
  });

  it('lets DATABASE_URL win over DB_*', () => {
    const store = loadConfig({ STORE_TYPE: 'mysql', DATABASE_URL: 'mysql://root@127.0.0.1:3306/test', DB_HOST: 'ignored', DB_PORT: 'not-a-port' }).store;
    expect(store).toEqual({ type: 'mysql', url: 'mysql://root@127.0.0.1:3306/test' });
  });

  it('ignores DATABASE_URL and DB_* for the memory store', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://x', DB_PORT: 'junk' }).store).toEqual({ type: 'memory' });
  });

  it.each([
    [{ HEALTH_CHECK_INTERVAL: '30x' }, 'telco-manager: HEALTH_CHECK_INTERVAL="30x" is not a Go duration (examples: 30s, 300ms, 1m30s)'],
    [{ HEALTH_CHECK_TIMEOUT: '5' }, 'telco-manager: HEALTH_CHECK_TIMEOUT="5" is not a Go duration (examples: 30s, 300ms, 1m30s)'],
    [{ NOTIFICATION_INTERVAL: '0s' }, 'telco-manager: NOTIFICATION_INTERVAL="0s" is out of range (allowed: 100ms to 24h)'],
    [{ HEALTH_CHECK_INTERVAL: '30ms' }, 'telco-manager: HEALTH_CHECK_INTERVAL="30ms" is out of range (allowed: 100ms to 24h)'],
    [{ NOTIFICATION_TIMEOUT: '-1s' }, 'telco-manager: NOTIFICATION_TIMEOUT="-1s" is out of range (allowed: 50ms to 10m)'],
    [{ HEALTH_CHECK_RETRY: 'three' }, 'telco-manager: HEALTH_CHECK_RETRY="three" is not a whole number (example: 3)'],
    [{ HEALTH_CHECK_RETRY: '11' }, 'telco-manager: HEALTH_CHECK_RETRY="11" is out of range (allowed: 0 to 10)'],
    [{ EVENT_QUEUE_SIZE: '1e3' }, 'telco-manager: EVENT_QUEUE_SIZE="1e3" is not a whole number (example: 1000)'],
    [{ EVENT_QUEUE_SIZE: '0' }, 'telco-manager: EVENT_QUEUE_SIZE="0" is out of range (allowed: 1 to 10000000)'],
    [{ SERVER_PORT: '70000' }, 'telco-manager: SERVER_PORT="70000" is out of range (allowed: 0 to 65535)'],
    [{ STORE_TYPE: 'redis' }, 'telco-manager: STORE_TYPE="redis" is not one of memory, postgres, mysql, mongodb'],
    [{ LOG_LEVEL: 'verbose' }, 'telco-manager: LOG_LEVEL="verbose" is not one of trace, debug, info, warn, error, fatal, silent'],
    [{ WIRE_PROFILE: 'json' }, 'telco-manager: WIRE_PROFILE="json" is not one of go, native'],
    [{ STORE_TYPE: 'postgres', DB_PORT: '54x' }, 'telco-manager: DB_PORT="54x" is not a whole number (example: 5432)'],
    [{ STORE_TYPE: 'postgres', DB_SSL_MODE: 'prefer' }, 'telco-manager: DB_SSL_MODE="prefer" is not one of disable, require, verify-ca, verify-full'],
    [{ STORE_TYPE: 'postgres', DATABASE_URL: 'mysql://root@h/db' }, 'telco-manager: DATABASE_URL starts with "mysql:" but STORE_TYPE=postgres needs postgres: or postgresql:'],
    [{ STORE_TYPE: 'mongodb', DATABASE_URL: 'not a url' }, 'telco-manager: DATABASE_URL is not a URL (example: mongodb://user:password@host/db)'],
  ])('rejects %j with one line naming the variable', (env, message) => {
    const error = configError(env as Record<string, string>);
    expect(error.message).toBe(message);
    expect(error.variable).toBe(Object.keys(env).at(-1));
    expect(error.message).not.toContain('\n');
  });

  it('does not echo DATABASE_URL (it may hold a password) in its errors', () => {
    const error = configError({ STORE_TYPE: 'postgres', DATABASE_URL: 'mysql://root:hunter2@h/db' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('main.mjs with a bad environment', () => {
  it.each([
    [{ HEALTH_CHECK_INTERVAL: '30x' }, 'telco-manager: HEALTH_CHECK_INTERVAL="30x" is not a Go duration (examples: 30s, 300ms, 1m30s)'],
    [{ STORE_TYPE: 'cassandra' }, 'telco-manager: STORE_TYPE="cassandra" is not one of memory, postgres, mysql, mongodb'],
    [{ EVENT_QUEUE_SIZE: 'lots' }, 'telco-manager: EVENT_QUEUE_SIZE="lots" is not a whole number (example: 1000)'],
  ])('exits 1 with exactly one line on stderr for %j', async (env, line) => {
    const result = await runMain(env as Record<string, string>);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${line}\n`);
    expect(result.stdout).toBe('');
  });
});
