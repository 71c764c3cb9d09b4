import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Manager,
  ValidationError,
  createGovernanceHandler,
  parseRegistration,
  validateRegistration,
  type ServiceRegistration,
  type ValidatedRegistration,
} from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { TargetPolicyGuard } from '../../src/security/target-policy';
import { TEST_CONFIG as CONFIG } from '../transport/support/scenarios';


/** Values that sit on or just past the edges of the rules. */
const oddValues = fc.constantFrom<unknown>(
  undefined, null, '', ' ', 'ok', 'a:b', 'x'.repeat(128), 'x'.repeat(129), '\u0000', '\ud800', 0, 1, 65535, 65536, 1.5, -1, NaN,
  '80', [], {}, 'http', 'tcp', 'ftp', 'http://10.0.0.1/h', 'tcp://10.0.0.1:9', 'tcp://10.0.0.1', 'tcp://h:9/x',
  'ftp://x/', 'http://x/\u0007', `http://x/${'p'.repeat(600)}`, ['a', 'a', 'b'], ['a', ''], new Array(3), [' '],
);

const modelKeys = ['serviceName', 'podName', 'providers', 'healthCheckUrl', 'notificationUrl', 'subscriptions'] as const;
const providerKeys = ['protocol', 'ip', 'port'] as const;

function baseRegistration(): Record<string, unknown> {
  return {
    serviceName: 'svc',
    podName: 'pod-1',
    providers: [
      { protocol: 'http', ip: '10.0.0.1', port: 8080 },
      { protocol: 'udp', ip: 'host.example', port: 53 },
    ],
    healthCheckUrl: 'tcp://10.0.0.1:9',
    notificationUrl: 'http://10.0.0.1:8080/notify',
    subscriptions: ['b', 'a', 'b'],
  };
}

const mutated = fc
  .tuple(
    fc.array(fc.tuple(fc.constantFrom(...modelKeys), oddValues), { maxLength: 2 }),
    fc.array(fc.tuple(fc.nat(1), fc.constantFrom(...providerKeys), oddValues), { maxLength: 2 }),
  )
  .map(([top, inProviders]) => {
    const reg = baseRegistration();
    const providers = reg['providers'] as Record<string, unknown>[];
    for (const [index, key, value] of inProviders) providers[index]![key] = value;
    for (const [key, value] of top) reg[key] = value;
    return reg;
  });

/** The same fields on an object with an unusual prototype: only the schema judges those. */
function schemaOnly<T extends object>(value: T): T {
  return Object.assign(Object.create({ inherited: true }) as T, value);
}

function outcome(fn: () => ServiceRegistration): unknown {
  try {
    return { ok: fn() };
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return { errors: (error as ValidationError).errors };
  }
}

function toWire(reg: Record<string, unknown>): Record<string, unknown> {
  return {
    service_name: reg['serviceName'],
    pod_name: reg['podName'],
    providers: reg['providers'],
    health_check_url: reg['healthCheckUrl'],
    notification_url: reg['notificationUrl'],
    subscriptions: reg['subscriptions'],
  };
}

describe('the validation fast path', () => {
  it('accepts exactly what the schema accepts, with the same normalized result (code path)', () => {
    fc.assert(
      fc.property(mutated, (reg) => {
        const fast = outcome(() => validateRegistration(reg as unknown as ServiceRegistration));
        const slow = outcome(() => validateRegistration(schemaOnly(reg) as unknown as ServiceRegistration));
        expect(fast).toEqual(slow);
      }),
      { numRuns: 400 },
    );
  });

  it('accepts exactly what the schema accepts, with the same normalized result (wire path)', () => {
    fc.assert(
      fc.property(mutated, (reg) => {
        const wire = toWire(reg);
        expect(outcome(() => parseRegistration(wire))).toEqual(outcome(() => parseRegistration(schemaOnly(wire))));
      }),
      { numRuns: 400 },
    );
  });

  it('returns a fresh, mutable copy that shares nothing with the input', () => {
    const input = baseRegistration() as unknown as ServiceRegistration;
    const out = validateRegistration(input);
    expect(out).toEqual({ ...input, subscriptions: ['b', 'a'] });
    expect(out.providers).not.toBe(input.providers);
    expect(out.providers[0]).not.toBe(input.providers[0]);
    out.providers.push({ protocol: 'tcp', ip: '10.0.0.2', port: 1 });
    expect(input.providers).toHaveLength(2);
    expect(Object.isFrozen(parseRegistration(toWire(baseRegistration())))).toBe(false);
  });
});

describe('registrations that arrive over HTTP', () => {
  let manager: Manager | undefined;

  afterEach(async () => {
    await manager?.stop({ timeoutMs: 500 });
    manager = undefined;
  });

  const post = (handle: ReturnType<typeof createGovernanceHandler>, body: unknown) =>
    handle({
      method: 'POST',
      path: '/register',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/json' },
      body: async () => JSON.stringify(body),
    });

  it('reach the manager deep-frozen, so nothing can change them between validation and storage', async () => {
    const seen: Readonly<ServiceRegistration>[] = [];
    const handle = createGovernanceHandler({
      async registerValidated({ registration }: ValidatedRegistration) {
        seen.push(registration);
        const now = new Date();
        return {
          service: { ...registration, status: 'unknown' as const, lastHealthCheck: now, registeredAt: now, updatedAt: now },
          outcome: 'created' as const,
        };
      },
    } as never);
    const answer = await post(handle, toWire(baseRegistration()));
    expect(answer.status).toBe(201);
    const [reg] = seen;
    expect(Object.isFrozen(reg)).toBe(true);
    expect(Object.isFrozen(reg!.providers)).toBe(true);
    expect(reg!.providers.every((p) => Object.isFrozen(p))).toBe(true);
    expect(Object.isFrozen(reg!.subscriptions)).toBe(true);
    expect(() => {
      (reg as { podName: string }).podName = 'x:y';
    }).toThrow(TypeError);
  });

  it('are stored by the real manager, and the stored copy is not frozen', async () => {
    manager = new Manager(CONFIG, new MemoryStore());
    await manager.start();
    const handle = createGovernanceHandler(manager);
    expect((await post(handle, toWire(baseRegistration()))).status).toBe(201);
    const stored = await manager.getService('svc:pod-1');
    expect(stored?.subscriptions).toEqual(['b', 'a']);
    expect(Object.isFrozen(stored?.providers)).toBe(false);
    const again = await manager.register(baseRegistration() as unknown as ServiceRegistration);
    expect(again.outcome).toBe('unchanged');
  });

  it('still meet the target policy, checked on the URLs validation already parsed', async () => {
    manager = new Manager({ ...CONFIG, targetPolicy: { deny: ['10.9.0.0/16'] } }, new MemoryStore());
    await manager.start();
    const handle = createGovernanceHandler(manager);
    const refused = await post(handle, toWire({ ...baseRegistration(), notificationUrl: 'http://10.9.1.2/notify' }));
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).errors).toEqual([
      { path: 'notification_url', message: expect.stringMatching(/10\.9\.1\.2 is denied by the target policy/) },
    ]);
    await expect(
      manager.register({ ...(baseRegistration() as unknown as ServiceRegistration), healthCheckUrl: 'tcp://10.9.0.1:80' }),
    ).rejects.toMatchObject({ errors: [{ path: 'healthCheckUrl' }] });
    expect(await manager.listServices()).toEqual([]);
  });
});

describe('TargetPolicyGuard address verdicts', () => {
  it('stay correct after more distinct addresses than it remembers', () => {
    const guard = new TargetPolicyGuard({ schemes: ['http'], allow: [], deny: ['10.0.0.0/24'] });
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1500; i++) {
        const denied = `10.0.0.${i % 256}`;
        const allowed = `10.1.${i >> 8}.${i % 256}`;
        expect(guard.addressProblem(denied)).toMatch(/is denied/);
        expect(guard.addressProblem(allowed)).toBeUndefined();
      }
    }
    expect(guard.addressProblem('not-an-ip')).toMatch(/is not an IP address/);
  });
});
