import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manager, ValidationError, createGovernanceHandler, parseRegistration, validateRegistration } from '@governance/core';
import { nameProblem } from '../src/validation';
import { createNodeListener } from '@governance/core/node';
import { MemoryStore } from '@governance/store-memory';
import { TEST_CONFIG as CONFIG, wireRegistration } from './transport/support/scenarios';


function wireBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return wireRegistration({ pod_name: 'pod-1', ...overrides });
}

function fieldErrors(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors;
  }
  throw new Error('expected a ValidationError');
}

const BLANKS = [' ', '   ', '\u00a0', '\u3000', '\u2003 \u2003', '\ufeff'];

describe('blank names', () => {
  it.each(BLANKS)('parseRegistration refuses the blank name %j for service, pod and subscription', (blank) => {
    const errors = fieldErrors(() =>
      parseRegistration(wireBody({ service_name: blank, pod_name: blank, subscriptions: ['ok', blank] })),
    );
    expect(errors).toEqual([
      { path: 'service_name', message: 'must not be blank' },
      { path: 'pod_name', message: 'must not be blank' },
      { path: 'subscriptions[1]', message: 'must not be blank' },
    ]);
  });

  it('validateRegistration (the in-process path) refuses a blank pod name with its camelCase path', () => {
    const reg = { ...parseRegistration(wireBody()), podName: '  ' };
    expect(fieldErrors(() => validateRegistration(reg))).toEqual([{ path: 'podName', message: 'must not be blank' }]);
  });

  it('keeps names with inner or edge whitespace that are not blank', () => {
    const reg = parseRegistration(wireBody({ service_name: ' svc', pod_name: 'pod a\u00a0b ' }));
    expect(reg.serviceName).toBe(' svc');
    expect(reg.podName).toBe('pod a\u00a0b ');
  });

  it('nameProblem gives the schema’s verdict and message for empty, long, colon and control-character names', () => {
    expect(nameProblem('')).toBe('must not be empty');
    expect(nameProblem(' ')).toBe('must not be blank');
    expect(nameProblem('x'.repeat(129))).toBe('must be at most 128 characters');
    expect(nameProblem('a:b')).toMatch(/must not contain ':'/);
    expect(nameProblem('a\u0007')).toMatch(/control characters \(U\+0007 at index 1\)/);
    expect(nameProblem('\ud800')).toMatch(/lone surrogate/);
    expect(nameProblem('x'.repeat(128))).toBeUndefined();
  });
});

describe('one name rule for POST /register and DELETE /unregister', () => {
  let manager: Manager;
  let server: http.Server;
  let baseUrl: string;

  beforeAll(async () => {
    manager = new Manager(CONFIG, new MemoryStore());
    await manager.start();
    server = http.createServer(createNodeListener(manager));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await manager.stop({ timeoutMs: 500 });
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(baseUrl + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  }

  it('answers 400 to a whitespace-only pod name over HTTP and stores nothing', async () => {
    const answer = await call('POST', '/register', wireBody({ pod_name: ' ' }));
    expect(answer.status).toBe(400);
    expect(answer.json.errors).toEqual([{ path: 'pod_name', message: 'must not be blank' }]);
    expect((await manager.listServices()).length).toBe(0);
  });

  it('unregisters over HTTP a pod whose name has inner and edge whitespace', async () => {
    const podName = ' pod\u00a0with spaces ';
    expect((await call('POST', '/register', wireBody({ pod_name: podName }))).status).toBe(201);
    const query = new URLSearchParams({ service_name: 'svc', pod_name: podName });
    const removed = await call('DELETE', `/unregister?${query}`);
    expect(removed.status).toBe(200);
    expect(removed.json.pod_name).toBe(podName);
  });

  it('every name POST /register accepts can be unregistered, and every name it refuses is refused by DELETE too', async () => {
    const handle = createGovernanceHandler(manager);
    const request = (method: string, path: string, query: URLSearchParams, body?: unknown) =>
      handle({
        method,
        path,
        query,
        headers: { 'content-type': 'application/json' },
        body: async () => JSON.stringify(body),
      });
    const units = fc.constantFrom(' ', '\u00a0', '\u3000', '\ufeff', '\t', '\n', ':', 'a', 'Z', '-', 'é', '\ud800', '\u0085');
    const names = fc.oneof(
      fc.string({ unit: units, maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ minLength: 126, maxLength: 130 }),
    );
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(names, async (podName) => {
        const registered = await request('POST', '/register', new URLSearchParams(), wireBody({ pod_name: podName }));
        const query = new URLSearchParams({ service_name: 'svc', pod_name: podName });
        const removed = await request('DELETE', '/unregister', query);
        expect(nameProblem(podName) === undefined).toBe(registered.status < 300);
        if (registered.status < 300) {
          accepted++;
          expect(removed.status).toBe(200);
        } else {
          expect(registered.status).toBe(400);
          // A query string cannot carry a lone surrogate (it arrives as U+FFFD), so compare only
          // when the name survived the trip.
          if (query.get('pod_name') === podName) expect(removed.status).toBe(400);
        }
      }),
      { numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(0);
    expect((await manager.listServices()).length).toBe(0);
  });
});
