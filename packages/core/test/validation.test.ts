import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  ValidationError,
  formatFieldErrors,
  parseRegistration,
  validateRegistration,
  type FieldError,
  type ServiceRegistration,
} from '@governance/core';
import { GO_TELCO_BODIES, HTTP_GW_BODY } from '../../../test/fixtures/go-telco.mjs';

/** The Go example's http-gw body, parsed afresh; `overrides` replace top-level fields. */
function wireBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(JSON.parse(HTTP_GW_BODY) as Record<string, unknown>), ...overrides };
}

function provider(port = 8080): Record<string, unknown> {
  return { protocol: 'http', ip: '10.0.0.1', port };
}

/** The errors parseRegistration reports for a body; fails the test when it does not throw. */
function errorsOf(body: unknown): FieldError[] {
  try {
    parseRegistration(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors;
  }
  throw new Error('expected a ValidationError');
}

const url = (prefix: string, length: number) => prefix + 'a'.repeat(length - prefix.length);

describe('parseRegistration: the Go telco example bodies', () => {
  it.each(Object.entries(GO_TELCO_BODIES))('accepts the %s body unchanged', (name, json) => {
    const wire = JSON.parse(json) as Record<string, unknown>;
    const reg = parseRegistration(wire);
    expect(reg.serviceName).toBe(name);
    expect(reg.podName).toBe(wire.pod_name);
    expect(reg.providers).toEqual(wire.providers);
    expect(reg.healthCheckUrl).toBe(wire.health_check_url);
    expect(reg.notificationUrl).toBe(wire.notification_url);
    expect(reg.subscriptions).toEqual(wire.subscriptions);
  });
});

describe('parseRegistration: limits at both boundaries', () => {
  const cases: Array<[string, Record<string, unknown>, string | undefined]> = [
    ['service_name of 128 characters', { service_name: 's'.repeat(128) }, undefined],
    ['service_name of 129 characters', { service_name: 's'.repeat(129) }, 'service_name'],
    ['service_name empty', { service_name: '' }, 'service_name'],
    ['pod_name of 128 characters', { pod_name: 'p'.repeat(128) }, undefined],
    ['pod_name of 129 characters', { pod_name: 'p'.repeat(129) }, 'pod_name'],
    ['pod_name of one character', { pod_name: 'p' }, undefined],
    ['port 1', { providers: [provider(1)] }, undefined],
    ['port 65535', { providers: [provider(65535)] }, undefined],
    ['port 0', { providers: [provider(0)] }, 'providers[0].port'],
    ['port 65536', { providers: [provider(65536)] }, 'providers[0].port'],
    ['64 providers', { providers: Array.from({ length: 64 }, () => provider()) }, undefined],
    ['65 providers', { providers: Array.from({ length: 65 }, () => provider()) }, 'providers'],
    ['no providers', { providers: [] }, 'providers'],
    ['256 subscriptions', { subscriptions: Array.from({ length: 256 }, (_, i) => `svc-${i}`) }, undefined],
    ['257 subscriptions', { subscriptions: Array.from({ length: 257 }, (_, i) => `svc-${i}`) }, 'subscriptions'],
    ['subscription name of 128 characters', { subscriptions: ['x'.repeat(128)] }, undefined],
    ['subscription name of 129 characters', { subscriptions: ['ok', 'x'.repeat(129)] }, 'subscriptions[1]'],
    ['health_check_url of 512 characters', { health_check_url: url('http://h/', 512) }, undefined],
    ['health_check_url of 513 characters', { health_check_url: url('http://h/', 513) }, 'health_check_url'],
    ['notification_url of 512 characters', { notification_url: url('https://h/', 512) }, undefined],
    ['notification_url of 513 characters', { notification_url: url('https://h/', 513) }, 'notification_url'],
    ['ip of 255 characters', { providers: [{ protocol: 'tcp', ip: 'h'.repeat(255), port: 1 }] }, undefined],
    ['ip of 256 characters', { providers: [{ protocol: 'tcp', ip: 'h'.repeat(256), port: 1 }] }, 'providers[0].ip'],
  ];

  it.each(cases)('%s', (_label, overrides, failingPath) => {
    const body = wireBody(overrides);
    if (failingPath === undefined) {
      expect(() => parseRegistration(body)).not.toThrow();
    } else {
      const errors = errorsOf(body);
      expect(errors.map((e) => e.path)).toEqual([failingPath]);
    }
  });

  it('exposes the limits as constants', () => {
    expect(LIMITS).toMatchObject({
      nameMaxLength: 128,
      urlMaxLength: 512,
      providersMin: 1,
      providersMax: 64,
      subscriptionsMax: 256,
      portMin: 1,
      portMax: 65535,
    });
    expect(Object.isFrozen(LIMITS)).toBe(true);
  });
});

describe('parseRegistration: field rules', () => {
  const rejected: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['a colon in service_name', { service_name: 'a:b' }, 'service_name', /must not contain ':'/],
    ['a colon in pod_name', { pod_name: 'pod:1' }, 'pod_name', /must not contain ':'/],
    ['a C0 control character', { service_name: 'a\u0001b' }, 'service_name', /control characters \(U\+0001 at index 1\)/],
    ['a DEL character', { pod_name: 'pod\u007f' }, 'pod_name', /control characters \(U\+007F/],
    ['a C1 control character', { service_name: '\u0085svc' }, 'service_name', /control characters \(U\+0085/],
    ['a newline in a subscription', { subscriptions: ['ok', 'bad\n'] }, 'subscriptions[1]', /control characters/],
    ['a colon and a control character', { service_name: 'a:\u0007' }, 'service_name', /':' \(found at index 1\).*; must not contain control characters \(U\+0007 at index 2\)/],
    ['a lone surrogate', { pod_name: 'pod-\ud800' }, 'pod_name', /well-formed Unicode/],
    ['a number as a name', { service_name: 42 }, 'service_name', /must be a string/],
    ['a missing pod_name', { pod_name: undefined }, 'pod_name', /is required/],
    ['a null service_name', { service_name: null }, 'service_name', /must be a string/],
    ['a port given as a string', { providers: [provider('80' as unknown as number)] }, 'providers[0].port', /must be an integer 1\.\.65535/],
    ['a fractional port', { providers: [provider(80.5)] }, 'providers[0].port', /must be an integer 1\.\.65535/],
    ['a NaN-like port', { providers: [provider(Number.POSITIVE_INFINITY)] }, 'providers[0].port', /must be an integer/],
    ['an unknown protocol', { providers: [{ protocol: 'sctp', ip: 'h', port: 1 }] }, 'providers[0].protocol', /one of http, tcp, pfcp, gtp, udp/],
    ['an upper-case protocol', { providers: [{ protocol: 'HTTP', ip: 'h', port: 1 }] }, 'providers[0].protocol', /one of/],
    ['an empty ip', { providers: [{ protocol: 'udp', ip: '', port: 1 }] }, 'providers[0].ip', /must not be empty/],
    ['a control character in ip', { providers: [{ protocol: 'udp', ip: '10.0.0.1\r', port: 1 }] }, 'providers[0].ip', /control characters/],
    ['providers as an object', { providers: { 0: provider() } }, 'providers', /must be an array of 1\.\.64 providers/],
    ['a provider that is a string', { providers: ['http://x'] }, 'providers[0]', /must be an object/],
    ['a file: notification URL', { notification_url: 'file:///etc/passwd' }, 'notification_url', /http: or https: \(got file:\)/],
    ['a javascript: notification URL', { notification_url: 'javascript:alert(1)' }, 'notification_url', /got javascript:/],
    ['a data: health URL', { health_check_url: 'data:text/plain,hi' }, 'health_check_url', /http:, https: or tcp:\/\/host:port \(got data:\)/],
    ['a tcp notification URL', { notification_url: 'tcp://10.0.0.1:80' }, 'notification_url', /got tcp:/],
    ['a relative URL', { notification_url: '/notify' }, 'notification_url', /absolute/],
    ['an empty URL', { health_check_url: '' }, 'health_check_url', /is required/],
    ['a tcp health URL without port', { health_check_url: 'tcp://10.0.0.1' }, 'health_check_url', /tcp:\/\/host:port/],
    ['a tcp health URL with port 0', { health_check_url: 'tcp://10.0.0.1:0' }, 'health_check_url', /tcp:\/\/host:port/],
    ['a tcp health URL with port 65536', { health_check_url: 'tcp://10.0.0.1:65536' }, 'health_check_url', /tcp:\/\/host:port/],
    ['a tcp health URL with a path', { health_check_url: 'tcp://10.0.0.1:80/x' }, 'health_check_url', /no path/],
    ['a tab inside an http URL', { notification_url: 'http://10.0.0.1:80/no\ttify' }, 'notification_url', /control characters \(U\+0009/],
    ['a newline inside a tcp URL', { health_check_url: 'tcp://10.0.0.1:80\n' }, 'health_check_url', /control characters/],
    ['subscriptions as a string', { subscriptions: 'eir' }, 'subscriptions', /must be an array/],
  ];

  it.each(rejected)('rejects %s', (_label, overrides, path, message) => {
    const errors = errorsOf(wireBody(overrides));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe(path);
    expect(errors[0]!.message).toMatch(message);
  });

  it.each([
    ['tcp://10.0.0.1:5060', 'a tcp health check'],
    ['tcp://pod.example:1', 'a tcp health check on a host name'],
    ['https://[::1]:8443/health?x=1', 'an IPv6 https URL'],
  ])('accepts %s (%s)', (healthCheckUrl) => {
    expect(parseRegistration(wireBody({ health_check_url: healthCheckUrl })).healthCheckUrl).toBe(healthCheckUrl);
  });

  it('accepts every protocol of the model and a host name as ip', () => {
    const providers = ['http', 'tcp', 'pfcp', 'gtp', 'udp'].map((protocol, i) => ({ protocol, ip: `upf-${i}.core`, port: 8805 }));
    expect(parseRegistration(wireBody({ providers })).providers).toEqual(providers);
  });

  it('allows a pod to subscribe to its own service', () => {
    expect(parseRegistration(wireBody({ subscriptions: ['http-gw'] })).subscriptions).toEqual(['http-gw']);
  });

  it('accepts unicode names', () => {
    const reg = parseRegistration(wireBody({ service_name: 'сервис-日本-🚀', subscriptions: ['éir'] }));
    expect(reg.serviceName).toBe('сервис-日本-🚀');
  });
});

describe('parseRegistration: normalization', () => {
  it('deduplicates subscriptions keeping the order of first appearance', () => {
    const reg = parseRegistration(wireBody({ subscriptions: ['eir', 'diam-gw', 'eir', 'smf', 'diam-gw'] }));
    expect(reg.subscriptions).toEqual(['eir', 'diam-gw', 'smf']);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
  ])('treats %s subscriptions as none', (_label, subscriptions) => {
    const body = wireBody();
    if (subscriptions === undefined) delete body.subscriptions;
    else body.subscriptions = subscriptions;
    expect(parseRegistration(body).subscriptions).toEqual([]);
  });

  it('ignores unknown fields, also __proto__ and constructor keys', () => {
    const body = JSON.parse(
      JSON.stringify(wireBody({ extra: 1, Status: 'healthy', constructor: { x: 1 } })).replace(
        /^\{/,
        '{"__proto__":{"polluted":true},',
      ),
    ) as Record<string, unknown>;
    const reg = parseRegistration(body);
    expect(Object.keys(reg).sort()).toEqual(
      ['healthCheckUrl', 'notificationUrl', 'podName', 'providers', 'serviceName', 'subscriptions'].sort(),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const withExtraProviderField = wireBody({ providers: [{ ...provider(), weight: 3 }] });
    expect(parseRegistration(withExtraProviderField).providers[0]).toEqual(provider());
  });

  it('returns fresh objects that share nothing with the input', () => {
    const body = wireBody();
    const reg = parseRegistration(body);
    (body.providers as Array<Record<string, unknown>>)[0]!.port = 1;
    (body.subscriptions as string[]).push('late');
    expect(reg.providers[0]!.port).toBe(8080);
    expect(reg.subscriptions).toEqual(['diam-gw', 'eir']);
  });
});

describe('parseRegistration: reporting', () => {
  it('reports every problem at once with its wire path', () => {
    const errors = errorsOf({
      service_name: 'bad:name',
      pod_name: '',
      providers: [provider(), provider(), { protocol: 'sip', ip: 'h', port: 0 }],
      health_check_url: 'ftp://x',
      notification_url: 'http://ok/notify',
      subscriptions: ['ok', 7],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'service_name',
      'pod_name',
      'providers[2].protocol',
      'providers[2].port',
      'health_check_url',
      'subscriptions[1]',
    ]);
    expect(formatFieldErrors(errors)).toContain('providers[2].port: must be an integer 1..65535');
  });

  it('puts the paths in the error message, prefixed by the package', () => {
    try {
      parseRegistration(wireBody({ providers: [provider(), provider(), provider(70000)] }));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('[core] invalid registration: providers[2].port: must be an integer 1..65535');
      expect((error as ValidationError).code).toBe('VALIDATION');
    }
  });

  it.each([
    ['null', null],
    ['an array', [wireBody()]],
    ['a string', JSON.stringify(wireBody())],
    ['a number', 42],
  ])('rejects %s as the body', (_label, body) => {
    expect(errorsOf(body)).toEqual([{ path: '', message: 'the body must be a JSON object' }]);
  });

  it('names every missing field of an empty object', () => {
    expect(errorsOf({}).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'service_name: is required',
      'pod_name: is required',
      'providers: is required',
      'health_check_url: is required',
      'notification_url: is required',
    ]);
  });

  it('rejects 100,000 providers with one error, without checking each', () => {
    const errors = errorsOf(wireBody({ providers: Array.from({ length: 100_000 }, () => 'not a provider') }));
    expect(errors).toEqual([{ path: 'providers', message: 'must be an array of 1..64 providers (got 100000)' }]);
  });

  it('caps the number of reported problems and says how many were left out', () => {
    const errors = errorsOf(wireBody({ providers: Array.from({ length: 64 }, () => ({})) }));
    expect(errors).toHaveLength(LIMITS.maxReportedErrors + 1);
    expect(errors.at(-1)).toEqual({ path: '', message: 'and 172 more problems (only the first 20 are listed)' });
  });

  it('rejects a huge string by its length', () => {
    const errors = errorsOf(wireBody({ pod_name: `${'x'.repeat(5_000_000)}:\u0000` }));
    expect(errors).toEqual([{ path: 'pod_name', message: 'must be at most 128 characters' }]);
  });
});

function camelRegistration(overrides: Partial<Record<keyof ServiceRegistration, unknown>> = {}): ServiceRegistration {
  return {
    serviceName: 'eir',
    podName: 'eir-pod-1',
    providers: [{ protocol: 'http', ip: '192.168.1.30', port: 8080 }],
    healthCheckUrl: 'tcp://192.168.1.30:3868',
    notificationUrl: 'http://192.168.1.30:8080/notify',
    subscriptions: [],
    ...overrides,
  } as ServiceRegistration;
}

describe('validateRegistration (camelCase, from code)', () => {
  it('returns a normalized copy', () => {
    const input = camelRegistration({ subscriptions: ['a', 'b', 'a'] });
    const out = validateRegistration(input);
    expect(out).toEqual({ ...input, subscriptions: ['a', 'b'] });
    expect(out).not.toBe(input);
    expect(out.providers[0]).not.toBe(input.providers[0]);
  });

  it('reports camelCase paths for the same rules', () => {
    try {
      validateRegistration(
        camelRegistration({
          serviceName: 'x'.repeat(129),
          providers: [{ protocol: 'http', ip: 'h', port: 0 }],
          healthCheckUrl: 'file:///x',
          notificationUrl: 'tcp://h:1',
          subscriptions: ['ok', 'a:b'],
        }),
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((e) => e.path)).toEqual([
        'serviceName',
        'providers[0].port',
        'healthCheckUrl',
        'notificationUrl',
        'subscriptions[1]',
      ]);
    }
  });

  it('drops unknown fields and accepts undefined subscriptions', () => {
    const input = { ...camelRegistration(), subscriptions: undefined, status: 'healthy' } as unknown as ServiceRegistration;
    expect(validateRegistration(input)).toEqual({ ...camelRegistration(), subscriptions: [] });
  });

  it('turns a getter that throws into a ValidationError', () => {
    const hostile = Object.defineProperty(camelRegistration(), 'podName', {
      get() {
        throw new TypeError('boom');
      },
    });
    expect(() => validateRegistration(hostile)).toThrow(ValidationError);
    const proxied = { ...camelRegistration(), providers: new Proxy([], { get() { throw new Error('trap'); } }) };
    expect(() => validateRegistration(proxied as unknown as ServiceRegistration)).toThrow(ValidationError);
  });
});

describe('property: bad input only ever raises ValidationError naming a field', () => {
  const names = fc.oneof(fc.string({ maxLength: 140 }), fc.constant('a:b'), fc.constant('x\u0000'), fc.anything());
  const nearMissProvider = fc.record(
    {
      protocol: fc.oneof(fc.constantFrom('http', 'tcp', 'pfcp', 'gtp', 'udp', 'HTTP', ''), fc.anything()),
      ip: fc.oneof(fc.ipV4(), fc.domain(), fc.string({ maxLength: 300 }), fc.anything()),
      port: fc.oneof(fc.integer({ min: -2, max: 70_000 }), fc.double(), fc.constant('80'), fc.anything()),
    },
    { requiredKeys: [] },
  );
  const nearMissUrl = fc.oneof(
    fc.webUrl(),
    fc.constantFrom('tcp://h:1', 'tcp://h', 'file:///etc/passwd', 'javascript:x', '', 'http://', 'data:,x'),
    fc.string({ maxLength: 600 }),
    fc.anything(),
  );
  const nearMiss = fc.record(
    {
      service_name: names,
      pod_name: names,
      providers: fc.oneof(fc.array(nearMissProvider, { maxLength: 70 }), fc.anything()),
      health_check_url: nearMissUrl,
      notification_url: nearMissUrl,
      subscriptions: fc.oneof(fc.array(names, { maxLength: 260 }), fc.constant(null), fc.anything()),
      ['__proto__']: fc.anything(),
      constructor: fc.anything(),
    },
    { requiredKeys: [] },
  );

  function checkOutcome(run: () => ServiceRegistration): void {
    let reg: ServiceRegistration;
    try {
      reg = run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const errors = (error as ValidationError).errors;
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.length).toBeLessThanOrEqual(LIMITS.maxReportedErrors + 1);
      for (const e of errors) {
        expect(e.message.length).toBeGreaterThan(0);
        // A problem names its field, or is about the whole body / the count of omitted problems.
        expect(e.path !== '' || /^(the body|the registration|and \d+ more)/.test(e.message)).toBe(true);
        expect(e.message).not.toMatch(/[\u0000-\u001f]/);
      }
      return;
    }
    expect(reg.providers.length).toBeGreaterThanOrEqual(1);
    expect(new Set(reg.subscriptions).size).toBe(reg.subscriptions.length);
  }

  it('parseRegistration with fc.anything()', () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (body) => checkOutcome(() => parseRegistration(body))), {
      numRuns: 500,
    });
  });

  it('parseRegistration with near-miss registrations', () => {
    fc.assert(fc.property(nearMiss, (body) => checkOutcome(() => parseRegistration(body))), { numRuns: 500 });
  });

  it('validateRegistration with near-miss registrations and anything', () => {
    const camel = nearMiss.map((w) => ({
      serviceName: w.service_name,
      podName: w.pod_name,
      providers: w.providers,
      healthCheckUrl: w.health_check_url,
      notificationUrl: w.notification_url,
      subscriptions: w.subscriptions,
    }));
    fc.assert(
      fc.property(fc.oneof(camel, fc.anything()), (reg) =>
        checkOutcome(() => validateRegistration(reg as unknown as ServiceRegistration)),
      ),
      { numRuns: 500 },
    );
  });
});
