import { afterEach, describe, expect, it } from 'vitest';
import {
  BodyReadError,
  Manager,
  createGovernanceHandler,
  isGovernanceRoute,
  type GovernanceHandlerManager,
  type GovernanceRequest,
} from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { TEST_CONFIG, wireRegistration } from './support/scenarios';

function request(overrides: Partial<GovernanceRequest> & { text?: string } = {}): GovernanceRequest {
  const { text, ...rest } = overrides;
  return {
    method: 'POST',
    path: '/register',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/json' },
    body: async () => Buffer.from(text ?? JSON.stringify(wireRegistration())),
    ...rest,
  };
}

describe('createGovernanceHandler (transport-neutral)', () => {
  let manager: Manager | undefined;

  afterEach(async () => {
    await manager?.stop({ timeoutMs: 500 });
    manager = undefined;
  });

  async function realManager(): Promise<Manager> {
    manager = new Manager(TEST_CONFIG, new MemoryStore());
    await manager.start();
    return manager;
  }

  it('registers from a request object and answers JSON text with headers', async () => {
    const handle = createGovernanceHandler(await realManager());
    const answer = await handle(request());
    expect(answer.status).toBe(201);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toMatchObject({ service_name: 'svc', pod_name: 'svc-pod-1', status: 'unknown' });
    const list = await handle(request({ method: 'get', path: '/services/' }));
    expect(JSON.parse(list.body).count).toBe(1);
  });

  it('passes its byte limit to the body reader and answers 413 when the reader refuses', async () => {
    const handle = createGovernanceHandler(await realManager(), { bodyLimit: 1024 });
    let askedLimit = 0;
    const answer = await handle(
      request({
        body: async (limit) => {
          askedLimit = limit;
          throw new BodyReadError('too-large', limit, `[core] request body is larger than ${limit} bytes`);
        },
      }),
    );
    expect(askedLimit).toBe(1024);
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
  });

  it('accepts a string body and a pre-parsed body', async () => {
    const handle = createGovernanceHandler(await realManager());
    const fromString = await handle(request({ body: async () => JSON.stringify(wireRegistration({ pod_name: 'a' })) }));
    expect(fromString.status).toBe(201);
    const preParsed = await handle(
      request({
        parsedBody: wireRegistration({ pod_name: 'b' }),
        body: () => Promise.reject(new Error('must not be read')),
      }),
    );
    expect(preParsed.status).toBe(201);
  });

  it('answers 500 without details for a genuine bug, and logs it', async () => {
    const logged: Array<{ object: object; message?: string }> = [];
    const broken: GovernanceHandlerManager = {
      registerValidated: () => Promise.reject(new TypeError('cannot read properties of undefined')),
      unregister: async () => false,
      getServicePods: async () => [],
      listServices: () => {
        throw new RangeError('boom');
      },
      checkHealth: async () => ({ healthy: true, store: { ok: true } }),
    };
    const handle = createGovernanceHandler(broken, { logger: { error: (object, message) => logged.push({ object, message }) } });
    for (const r of [request(), request({ method: 'GET', path: '/services' })]) {
      const answer = await handle(r);
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({ error: '[core] internal error while handling the request; see the manager log' });
    }
    expect(logged).toHaveLength(2);
    expect((logged[0]!.object as { err: Error }).err).toBeInstanceOf(TypeError);
  });

  it('answers 500 when the authorize hook itself throws', async () => {
    const handle = createGovernanceHandler(await realManager(), {
      authorize: () => {
        throw new Error('auth backend down');
      },
    });
    expect((await handle(request())).status).toBe(500);
  });

  it('reports 503 unhealthy from /health when the store is unreachable', async () => {
    const store = new MemoryStore();
    manager = new Manager(TEST_CONFIG, store);
    await manager.start();
    const handle = createGovernanceHandler(manager, { retryAfterSeconds: 7 });
    await store.close();
    const answer = await handle(request({ method: 'GET', path: '/health' }));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'unhealthy' });
  });

  it('refuses a bodyLimit that is not a positive whole number', () => {
    const m = { registerValidated: async () => ({}) } as unknown as GovernanceHandlerManager;
    expect(() => createGovernanceHandler(m, { bodyLimit: 0 })).toThrow(/\[core\] bodyLimit must be a positive whole number/);
    expect(() => createGovernanceHandler(m, { bodyLimit: 1.5 })).toThrow(/bodyLimit/);
  });

  it('knows its routes', () => {
    for (const path of ['/register', '/unregister', '/services', '/services/', '/services/eir', '/health']) {
      expect(isGovernanceRoute(path), path).toBe(true);
    }
    for (const path of ['/', '/services/a/b', '/registerx', '/gov/register']) {
      expect(isGovernanceRoute(path), path).toBe(false);
    }
  });
});
