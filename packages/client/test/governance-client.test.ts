import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GovernanceClient,
  GovernanceClientError,
  ManagerUnavailableError,
  NotFoundError,
  RegistrationRejectedError,
  UnauthorizedError,
  type GovernanceClientOptions,
  type RegistrationInput,
} from '@governance/client';
import { startFakeManager, type FakeManager, type Reply } from './fake-manager.js';
import { waitFor } from '../../../test/support/wait';

const registration: RegistrationInput = {
  providers: [{ protocol: 'http', ip: '10.0.0.3', port: 8080 }],
  healthCheckUrl: 'http://10.0.0.3:8080/health',
  notificationUrl: 'http://10.0.0.3:8080/notify',
  subscriptions: ['diam-gw'],
};

/** `registration` as the manager receives it, for the client's own pod. */
const registrationWire = {
  service_name: 'eir',
  pod_name: 'eir-1',
  providers: [{ protocol: 'http', ip: '10.0.0.3', port: 8080 }],
  health_check_url: 'http://10.0.0.3:8080/health',
  notification_url: 'http://10.0.0.3:8080/notify',
  subscriptions: ['diam-gw'],
};

let manager: FakeManager | undefined;
afterEach(async () => {
  await manager?.close();
  manager = undefined;
});

async function setup(respond: (index: number) => Reply, options: Partial<GovernanceClientOptions> = {}) {
  manager = await startFakeManager((_request, index) => respond(index));
  const client = new GovernanceClient({
    managerUrl: manager.url,
    serviceName: 'eir',
    podName: 'eir-1',
    backoff: { initialDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  return { client, manager };
}

describe('GovernanceClient requests', () => {
  it('POSTs the registration in snake_case to /register, defaulting names to its own', async () => {
    const { client, manager } = await setup(() => ({ status: 201, body: { status: 'registered' } }));
    expect(await client.register(registration)).toEqual({ outcome: 'created', status: 201, service: undefined });
    expect(manager.requests).toHaveLength(1);
    const [request] = manager.requests;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/register');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers.authorization).toBeUndefined();
    expect(JSON.parse(request!.text)).toEqual(registrationWire);
  });

  it('keeps a path prefix of managerUrl and sends the bearer token', async () => {
    manager = await startFakeManager(() => ({ status: 202 }));
    const client = new GovernanceClient({ managerUrl: `${manager.url}/gov/`, serviceName: 'eir', podName: 'eir-1', token: 's3cret' });
    expect(await client.register({ ...registration, subscriptions: undefined })).toEqual({ outcome: 'accepted', status: 202, service: undefined });
    expect(manager.requests[0]!.path).toBe('/gov/register');
    expect(manager.requests[0]!.headers.authorization).toBe('Bearer s3cret');
    expect(JSON.parse(manager.requests[0]!.text).subscriptions).toEqual([]);
  });

  it("returns the manager's outcome header and the stored pod in camelCase", async () => {
    const stored = {
      ...registrationWire,
      status: 'healthy',
      last_health_check: '2026-01-01T00:00:02Z',
      registered_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:01Z',
    };
    const outcomes = ['unchanged', 'updated', 'something-else'];
    const { client } = await setup((i) => ({ status: 200, body: stored, headers: { 'x-governance-outcome': outcomes[i]! } }));
    const unchanged = await client.register(registration);
    expect(unchanged).toEqual({
      outcome: 'unchanged',
      status: 200,
      service: {
        serviceName: 'eir',
        podName: 'eir-1',
        ...registration,
        status: 'healthy',
        lastHealthCheck: new Date('2026-01-01T00:00:02Z'),
        registeredAt: new Date('2026-01-01T00:00:00Z'),
        updatedAt: new Date('2026-01-01T00:00:01Z'),
      },
    });
    expect((await client.register(registration)).outcome).toBe('updated');
    expect((await client.register(registration)).outcome).toBe('accepted');
  });

  it('passes malformed values through for the manager to judge', async () => {
    const { client, manager } = await setup(() => ({ status: 400, body: { error: 'invalid', errors: [{ path: 'providers', message: 'must be an array' }] } }));
    const error = await client.register({ ...registration, providers: 'none' as never }).catch((e: unknown) => e);
    expect(JSON.parse(manager.requests[0]!.text).providers).toBe('none');
    expect((error as RegistrationRejectedError).errors).toEqual([{ path: 'providers', message: 'must be an array' }]);
  });

  it('unregisters its own pod and any pod with DELETE /unregister', async () => {
    const { client, manager } = await setup(() => ({ status: 200, body: {} }));
    await client.unregister();
    await client.unregisterService('http gw', 'pod&1');
    expect(manager.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'DELETE /unregister?service_name=eir&pod_name=eir-1',
      'DELETE /unregister?service_name=http+gw&pod_name=pod%261',
    ]);
  });

  it('lists services in camelCase from snake_case and from the Go manager\'s PascalCase', async () => {
    const { client } = await setup(() => ({
      body: {
        count: 2,
        services: [
          {
            service_name: 'eir', pod_name: 'eir-1', providers: [{ protocol: 'http', ip: '10.0.0.3', port: 8080 }],
            health_check_url: 'http://h/health', notification_url: 'http://h/notify', subscriptions: [],
            status: 'healthy', last_health_check: '2026-01-01T00:00:00Z', registered_at: '2026-01-01T00:00:00Z',
            updated_at: '2026-01-01T00:00:01Z',
          },
          {
            ServiceName: 'diam-gw', PodName: 'diam-1', Providers: [{ protocol: 'tcp', ip: '10.0.0.2', port: 3868 }],
            HealthCheckURL: 'http://d/health', NotificationURL: 'http://d/notify', Subscriptions: ['eir'], Status: 'unknown',
          },
        ],
      },
    }));
    const services = await client.listServices();
    expect(services[0]).toMatchObject({ serviceName: 'eir', podName: 'eir-1', status: 'healthy', subscriptions: [] });
    expect(services[0]!.updatedAt).toEqual(new Date('2026-01-01T00:00:01Z'));
    expect(services[1]).toMatchObject({
      serviceName: 'diam-gw', podName: 'diam-1', providers: [{ protocol: 'tcp', ip: '10.0.0.2', port: 3868 }],
      subscriptions: ['eir'], status: 'unknown',
    });
  });

  it('refuses invalid options with an error naming the option', () => {
    const base = { managerUrl: 'http://127.0.0.1:1', serviceName: 'eir', podName: 'eir-1' };
    expect(() => new GovernanceClient({ ...base, managerUrl: 'ftp://x' })).toThrow(/managerUrl/);
    expect(() => new GovernanceClient({ ...base, managerUrl: 'not a url' })).toThrow(/managerUrl/);
    expect(() => new GovernanceClient({ ...base, podName: '' })).toThrow(/podName/);
    expect(() => new GovernanceClient({ ...base, retries: -1 })).toThrow(/retries/);
    expect(() => new GovernanceClient({ ...base, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe('GovernanceClient errors and retries', () => {
  it('surfaces the manager\'s 400 field errors and does not retry', async () => {
    const errors = [
      { path: 'providers.0.port', message: 'must be an integer from 1 to 65535' },
      { path: 'pod_name', message: 'must not contain ":"' },
    ];
    const { client, manager } = await setup(() => ({ status: 400, body: { error: 'invalid registration', errors } }));
    const error = await client.register(registration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrationRejectedError);
    expect(error).toBeInstanceOf(GovernanceClientError);
    expect((error as RegistrationRejectedError).errors).toEqual(errors);
    expect((error as RegistrationRejectedError).status).toBe(400);
    expect((error as Error).message).toMatch(/^\[client\] .*providers\.0\.port: must be an integer/);
    expect(manager.requests).toHaveLength(1);
  });

  it.each([401, 403])('throws UnauthorizedError on %i without retrying', async (status) => {
    const { client, manager } = await setup(() => ({ status, body: { error: 'bad token' } }));
    const error = await client.register(registration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).status).toBe(status);
    expect(manager.requests).toHaveLength(1);
  });

  it('throws NotFoundError when unregistering an unknown pod, without retrying', async () => {
    const { client, manager } = await setup(() => ({ status: 404, body: { error: 'pod not found' } }));
    const error = await client.unregister().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain('pod not found');
    expect(manager.requests).toHaveLength(1);
  });

  it.each([409, 413, 500])('does not retry a %i answer', async (status) => {
    const { client, manager } = await setup(() => ({ status, body: { error: 'no' } }));
    const error = await client.register(registration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceClientError);
    expect(error).not.toBeInstanceOf(ManagerUnavailableError);
    expect((error as GovernanceClientError).status).toBe(status);
    expect(manager.requests).toHaveLength(1);
  });

  it('succeeds after transient 503s, 502 and 429', async () => {
    const replies: Reply[] = [{ status: 503 }, { status: 502 }, { status: 429, headers: { 'retry-after': '0' } }, { status: 200 }];
    const { client, manager } = await setup((index) => replies[index]!);
    await client.register(registration);
    expect(manager.requests).toHaveLength(4);
  });

  it('gives up with ManagerUnavailableError after the configured retries', async () => {
    const { client, manager } = await setup(() => ({ status: 503, body: { error: 'queue full' } }), { retries: 2 });
    const error = await client.register(registration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagerUnavailableError);
    expect((error as ManagerUnavailableError).attempts).toBe(3);
    expect((error as ManagerUnavailableError).status).toBe(503);
    expect((error as Error).message).toMatch(/^\[client\] manager at .* unavailable after 3 attempt\(s\): .*503: queue full/);
    expect(manager.requests).toHaveLength(3);
  });

  it('caps a long Retry-After at maxRetryAfterMs', async () => {
    const replies: Reply[] = [{ status: 503, headers: { 'retry-after': '3600' } }, { status: 204 }];
    const { client, manager } = await setup((index) => replies[index]!, { maxRetryAfterMs: 10 });
    await client.register(registration);
    expect(manager.requests).toHaveLength(2);
  });

  it('times out each attempt, retries, then reports the timeout', async () => {
    const { client, manager } = await setup(() => ({ hang: true }), { timeoutMs: 100, retries: 1 });
    const error = await client.register(registration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagerUnavailableError);
    expect((error as Error).message).toContain('timed out after 100 ms');
    expect(manager.requests).toHaveLength(2);
  });

  it('recovers when a timed-out attempt is followed by an answer', async () => {
    const { client, manager } = await setup((index) => (index === 0 ? { hang: true } : { status: 200 }), { timeoutMs: 1000 });
    await client.register(registration);
    expect(manager.requests).toHaveLength(2);
  });

  it('retries network errors and then gives up', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new GovernanceClient({
      managerUrl: `http://127.0.0.1:${port}`, serviceName: 'eir', podName: 'eir-1', retries: 2,
      backoff: { initialDelayMs: 5, maxDelayMs: 10 },
    });
    const error = await client.register(registration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagerUnavailableError);
    expect((error as ManagerUnavailableError).attempts).toBe(3);
    expect((error as ManagerUnavailableError).status).toBeUndefined();
  });

  it('stops at once when the caller aborts, with the signal\'s reason', async () => {
    const { client, manager } = await setup(() => ({ hang: true }), { timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = client.register(registration, { signal: controller.signal }).catch((e: unknown) => e);
    await waitFor(() => manager.requests.length === 1, 'the first attempt');
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await pending).toBe(reason);
    expect(manager.requests).toHaveLength(1);
    await expect(client.unregister({ signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('GovernanceClient.keepRegistered', () => {
  it('re-registers periodically, so the pod reappears after the manager forgets it', async () => {
    const registered = new Set<string>();
    manager = await startFakeManager((request) => {
      const body = JSON.parse(request.text) as { service_name: string; pod_name: string };
      const key = `${body.service_name}:${body.pod_name}`;
      const known = registered.has(key);
      registered.add(key);
      return { status: known ? 200 : 201, headers: { 'x-governance-outcome': known ? 'unchanged' : 'created' } };
    });
    const client = new GovernanceClient({ managerUrl: manager.url, serviceName: 'eir', podName: 'eir-1' });
    const outcomes: string[] = [];
    const handle = client.keepRegistered(registration, { intervalMs: 20, onRegistered: (result) => outcomes.push(result.outcome) });
    try {
      await waitFor(() => outcomes.includes('unchanged'), 'a registration and a repeated one');
      registered.clear(); // the manager restarts on a memory store
      const before = manager.requests.length;
      await waitFor(() => outcomes.lastIndexOf('created') > outcomes.indexOf('unchanged'), 'the pod to be created again');
      expect(registered.has('eir:eir-1')).toBe(true);
      expect(manager.requests.length).toBeGreaterThan(before);
      expect(outcomes[0]).toBe('created');
    } finally {
      handle.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // let an aborted request land
    const afterStop = manager.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(manager.requests.length).toBe(afterStop);
  });

  it('reports failures to onError and keeps going', async () => {
    const { client, manager } = await setup((index) =>
      index === 0 ? { status: 400, body: { error: 'bad', errors: [{ path: 'providers', message: 'empty' }] } } : { status: 200 },
    );
    const errors: unknown[] = [];
    let successes = 0;
    const handle = client.keepRegistered(registration, {
      intervalMs: 10,
      onError: (e) => errors.push(e),
      onRegistered: () => successes++,
    });
    try {
      await waitFor(() => successes >= 1, 'a registration after the failure');
    } finally {
      handle.stop();
    }
    expect(errors[0]).toBeInstanceOf(RegistrationRejectedError);
    expect(manager.requests.length).toBeGreaterThanOrEqual(2);
  });
});
