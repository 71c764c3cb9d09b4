import http from 'node:http';
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Manager, type GovernanceHandlerOptions } from '@governance/core';
import { governanceRouter } from '@governance/core/express';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { GovernanceClient, UnauthorizedError } from '@governance/client';
import { adapterTestBed } from '../transport/support/adapter-test-bed';
import { postJson, send } from '../transport/support/http-client';
import { TEST_CONFIG, listen, wireRegistration, type MountedServer } from '../transport/support/scenarios';

const EIR = 'eir-writer-token-00001';
const ADMIN = 'admin-token-0000000001';
const READER = 'reader-token-000000001';

const TOKENS: GovernanceHandlerOptions['tokens'] = [
  { token: EIR, services: ['eir'], name: 'eir-pods' },
  { token: ADMIN, services: ['*'], read: true, name: 'admin' },
  { token: READER, services: ['nothing'], read: true, name: 'dashboard' },
];

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('bearer tokens on the HTTP API', () => {
  let manager: Manager;
  let server: MountedServer;
  let store: MemoryStore;

  beforeEach(async () => {
    store = new MemoryStore();
    manager = new Manager(TEST_CONFIG, store);
    await manager.start();
    server = await listen(http.createServer(createNodeListener(manager, { tokens: TOKENS })), '');
  });

  afterEach(async () => {
    await server.close();
    await manager.stop({ timeoutMs: 500 });
  });

  it('answers 401 with a Bearer challenge before reading a 10 MB body (not 413), declared or streamed', async () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const declared = await postJson(server.baseUrl, '/register', huge);
    expect(declared.status).toBe(401);
    expect(declared.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(declared.json.error).toMatch(/^\[core\] this endpoint needs a token/);

    const streamed = await send(server.baseUrl, 'POST', '/register', {
      body: huge,
      chunked: true,
      headers: { 'content-type': 'application/json' },
    });
    expect(streamed.status).toBe(401);
    expect(await store.getAllServices()).toEqual([]);
  });

  it('answers 401 to an unknown or malformed token, on writes and reads', async () => {
    const body = JSON.stringify(wireRegistration({ service_name: 'eir', pod_name: 'eir-1' }));
    for (const authorization of [`Bearer ${EIR}x`, `Basic ${EIR}`, EIR, 'Bearer']) {
      const answer = await postJson(server.baseUrl, '/register', body, { authorization });
      expect(answer.status, authorization).toBe(401);
      expect(answer.json.error).toMatch(/^\[core\] /);
    }
    expect((await send(server.baseUrl, 'GET', '/services', { headers: bearer('wrong-token-but-long-enough') })).status).toBe(401);
    expect((await send(server.baseUrl, 'GET', '/services/eir')).status).toBe(401);
    expect((await send(server.baseUrl, 'DELETE', '/unregister?service_name=eir&pod_name=eir-1')).status).toBe(401);
    expect(await store.getAllServices()).toEqual([]);
  });

  it('leaves GET /health open', async () => {
    const answer = await send(server.baseUrl, 'GET', '/health');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'healthy' });
  });

  it('scopes register and unregister to the token\'s services (403 outside), "*" for all', async () => {
    const eir = JSON.stringify(wireRegistration({ service_name: 'eir', pod_name: 'eir-1' }));
    const smf = JSON.stringify(wireRegistration({ service_name: 'smf', pod_name: 'smf-1' }));

    expect((await postJson(server.baseUrl, '/register', eir, bearer(EIR))).status).toBe(201);
    const outside = await postJson(server.baseUrl, '/register', smf, bearer(EIR));
    expect(outside.status).toBe(403);
    expect(outside.json.error).toBe('[core] token "eir-pods" may not change service "smf"; add the service to its services list (or "*")');
    expect((await postJson(server.baseUrl, '/register', smf, bearer(READER))).status).toBe(403);
    expect((await postJson(server.baseUrl, '/register', smf, bearer(ADMIN))).status).toBe(201);

    const removeSmf = '/unregister?service_name=smf&pod_name=smf-1';
    expect((await send(server.baseUrl, 'DELETE', removeSmf, { headers: bearer(EIR) })).status).toBe(403);
    expect((await manager.listServices()).map((s) => s.podName).sort()).toEqual(['eir-1', 'smf-1']);
    expect((await send(server.baseUrl, 'DELETE', removeSmf, { headers: bearer(ADMIN) })).status).toBe(200);
    expect((await send(server.baseUrl, 'DELETE', '/unregister?service_name=eir&pod_name=eir-1', { headers: bearer(EIR) })).status).toBe(200);
    expect(await store.getAllServices()).toEqual([]);
  });

  it('needs read: true for GET /services and GET /services/:name', async () => {
    await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration({ service_name: 'eir', pod_name: 'eir-1' })), bearer(EIR));
    for (const path of ['/services', '/services/eir']) {
      const denied = await send(server.baseUrl, 'GET', path, { headers: bearer(EIR) });
      expect(denied.status, path).toBe(403);
      expect(denied.json.error).toBe('[core] token "eir-pods" may not read the registry; set read: true on it');
      expect((await send(server.baseUrl, 'GET', path, { headers: bearer(READER) })).json.count, path).toBe(1);
      expect((await send(server.baseUrl, 'GET', path, { headers: bearer(ADMIN) })).status, path).toBe(200);
    }
  });

  it('runs the authorize hook first', async () => {
    const hooked = await listen(
      http.createServer(
        createNodeListener(manager, { tokens: TOKENS, authorize: () => ({ status: 403, message: '[test] hook says no' }) }),
      ),
      '',
    );
    try {
      const answer = await send(hooked.baseUrl, 'GET', '/services', { headers: bearer(ADMIN) });
      expect(answer.status).toBe(403);
      expect(answer.json.error).toBe('[test] hook says no');
    } finally {
      await hooked.close();
    }
  });

  it('works end to end with @governance/client sending its token', async () => {
    const pod = { providers: [{ protocol: 'http' as const, ip: '127.0.0.1', port: 9000 }], healthCheckUrl: 'http://127.0.0.1:9/health', notificationUrl: 'http://127.0.0.1:9/notify' };
    const client = new GovernanceClient({ managerUrl: server.baseUrl, serviceName: 'eir', podName: 'eir-7', token: EIR, retries: 0 });
    await client.register(pod);
    expect((await manager.getService('eir:eir-7'))?.podName).toBe('eir-7');
    await expect(client.listServices()).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(client.register({ ...pod, serviceName: 'smf' })).rejects.toMatchObject({ status: 403 });

    const admin = new GovernanceClient({ managerUrl: server.baseUrl, serviceName: 'ops', podName: 'ops-1', token: ADMIN, retries: 0 });
    expect((await admin.listServices()).map((s) => s.podName)).toEqual(['eir-7']);

    const anonymous = new GovernanceClient({ managerUrl: server.baseUrl, serviceName: 'eir', podName: 'eir-8', retries: 0 });
    await expect(anonymous.register(pod)).rejects.toMatchObject({ status: 401 });
    await client.unregister();
    expect(await manager.getService('eir:eir-7')).toBeUndefined();
  });
});

describe('bearer tokens under Express', () => {
  const { startManager, serve } = adapterTestBed();

  it('are enforced when express.json() parsed the body first', async () => {
    const manager = await startManager();
    const app = express();
    app.use(express.json());
    app.use('/gov', governanceRouter(manager, { tokens: TOKENS }));
    const server = await serve(http.createServer(app), '/gov');
    const body = JSON.stringify(wireRegistration({ service_name: 'eir', pod_name: 'eir-1' }));
    expect((await postJson(server.baseUrl, '/register', body)).status).toBe(401);
    expect((await postJson(server.baseUrl, '/register', body, bearer(READER))).status).toBe(403);
    expect((await postJson(server.baseUrl, '/register', body, bearer(EIR))).status).toBe(201);
    expect((await send(server.baseUrl, 'GET', '/services/eir', { headers: bearer(READER) })).json.count).toBe(1);
    expect((await send(server.baseUrl, 'GET', '/health')).status).toBe(200);
  });
});

describe('tokens in the manager config (deprecated spelling)', () => {
  const { startManager, serve } = adapterTestBed();

  it('are still enforced by every adapter, with a deprecation warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_: object, message?: string) => void logged.push(message ?? '') };
    try {
      const manager = await startManager({ ...TEST_CONFIG, tokens: TOKENS, logger });
      const server = await serve(http.createServer(createNodeListener(manager)), '');
      const body = JSON.stringify(wireRegistration({ service_name: 'eir', pod_name: 'eir-1' }));
      expect((await postJson(server.baseUrl, '/register', body)).status).toBe(401);
      expect((await postJson(server.baseUrl, '/register', body, bearer(READER))).status).toBe(403);
      expect((await postJson(server.baseUrl, '/register', body, bearer(EIR))).status).toBe(201);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(logged).toEqual([expect.stringMatching(/^\[core\] the manager setting `tokens` is deprecated: pass them to the HTTP handler/)]);
    // Node emits the DeprecationWarning once per process (another test file may have triggered it first).
    for (const warning of warnings) expect(warning).toMatchObject({ name: 'DeprecationWarning', code: 'GOVERNANCE_MANAGER_TOKENS' });
  });

  it('give way to tokens passed to the handler', async () => {
    const manager = await startManager({ ...TEST_CONFIG, tokens: TOKENS });
    const server = await serve(http.createServer(createNodeListener(manager, { tokens: [{ token: 'handler-token-00000001', services: ['*'] }] })), '');
    const body = JSON.stringify(wireRegistration({ service_name: 'eir', pod_name: 'eir-1' }));
    expect((await postJson(server.baseUrl, '/register', body, bearer(EIR))).status).toBe(401);
    expect((await postJson(server.baseUrl, '/register', body, bearer('handler-token-00000001'))).status).toBe(201);
  });
});

describe('the tokens option', () => {
  it('is checked when the handler is created, naming each bad field', () => {
    const manager = new Manager(TEST_CONFIG, new MemoryStore());
    expect(() => createNodeListener(manager, { tokens: [{ token: 'short', services: [] }] })).toThrow(
      expect.objectContaining({
        code: 'VALIDATION',
        errors: [
          { path: 'tokens[0].token', message: 'must be at least 16 characters' },
          { path: 'tokens[0].services', message: 'must name at least one service, or "*"' },
        ],
      }),
    );
  });
});

describe('without tokens', () => {
  const { startManager, serve } = adapterTestBed();

  it('serves every route as before', async () => {
    const server = await serve(http.createServer(createNodeListener(await startManager())), '');
    expect((await postJson(server.baseUrl, '/register', JSON.stringify(wireRegistration()))).status).toBe(201);
    expect((await send(server.baseUrl, 'GET', '/services')).json.count).toBe(1);
  });
});

describe('target policy through the HTTP API', () => {
  const { startManager, serve } = adapterTestBed();

  it('answers 400 naming the wire field for a denied literal address', async () => {
    const manager = await startManager();
    const server = await serve(http.createServer(createNodeListener(manager)), '');
    const answer = await postJson(
      server.baseUrl,
      '/register',
      JSON.stringify(wireRegistration({ health_check_url: 'http://169.254.169.254/latest/meta-data/' })),
    );
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([
      { path: 'health_check_url', message: expect.stringMatching(/^address 169\.254\.169\.254 is denied by the target policy/) },
    ]);
    expect(answer.json.error).toMatch(/^\[core\] invalid registration: health_check_url: address 169\.254\.169\.254 is denied by the target policy/);
    expect(await manager.listServices()).toEqual([]);
  });
});
