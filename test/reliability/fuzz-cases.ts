import fc from 'fast-check';

/** One generated request and what the server must answer. */
export interface FuzzCase {
  label: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers: Record<string, string>;
  /** 'valid' → 2xx and stored; 'invalid' → 4xx; 'too-large' → 413. */
  expect: 'valid' | 'invalid' | 'too-large';
  /** For valid registrations: the pod as it must be stored. */
  stored?: StoredPod;
}

export interface StoredPod {
  serviceName: string;
  podName: string;
  providers: Array<{ protocol: string; ip: string; port: number }>;
  healthCheckUrl: string;
  notificationUrl: string;
  subscriptions: string[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const PROTOCOLS = ['http', 'tcp', 'pfcp', 'gtp', 'udp'] as const;

/** Injection strings that are nonetheless valid names: they must be stored verbatim. */
const HOSTILE_NAMES = [
  "' OR '1'='1",
  "Robert'); DROP TABLE services;--",
  '1; SELECT pg_sleep(10)',
  "' UNION SELECT * FROM subscriptions --",
  '$where',
  '$ne',
  '$gt',
  'this.constructor.constructor("return process")()',
  '{"$gt": ""}'.replace(':', ''),
  '\\',
  '%00',
  '${jndi}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'prototype',
  '😀 émoji ünïcode',
  '"quoted"',
  '`backtick`',
];
/** Injection strings that are invalid names (':' or a control character). */
const HOSTILE_INVALID_NAMES = [
  '{"$gt": ""}',
  "'; WAITFOR DELAY '0:0:5'--",
  'a:b',
  'svc:pod',
  'nul\u0000byte',
  '\u001b[31mred',
  'del\u007f',
  'lone \ud800 surrogate',
  'c1\u0085control',
];

const NAME_OK = /^[^:\p{Cc}\p{Cs}]+$/u;
const freeName = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => NAME_OK.test(s) && s.trim() !== '');
const validName = fc.oneof(fc.constantFrom(...HOSTILE_NAMES), freeName);

const validProvider = fc.record({
  protocol: fc.constantFrom(...PROTOCOLS),
  ip: fc.constantFrom('10.0.0.1', '::1', 'pod-0.svc.local', "x' OR 1=1", '$where'),
  port: fc.integer({ min: 1, max: 65535 }),
});

const extraKeys = fc.option(
  fc.constantFrom<Record<string, unknown>>(
    { $where: 'sleep(1000)' },
    { $gt: '' },
    { status: 'healthy', registered_at: '1970-01-01T00:00:00Z' },
    { serviceName: 'camel-case-ignored', service_key: 'x:y' },
    { nested: { $ne: null, deep: [[[{ $regex: '.*' }]]] } },
  ),
  { nil: undefined },
);

interface ValidParts {
  serviceName: string;
  podName: string;
  providers: Array<{ protocol: string; ip: string; port: number }>;
  health: string;
  notify: string;
  subscriptions: string[] | null | undefined;
  extra: Record<string, unknown> | undefined;
}

const validParts: fc.Arbitrary<ValidParts> = fc.record({
  serviceName: validName,
  podName: validName,
  providers: fc.array(validProvider, { minLength: 1, maxLength: 3 }),
  health: fc.constantFrom('http://127.0.0.1:1/health', 'tcp://127.0.0.1:1', 'https://127.0.0.1:1/h?x=%27%20OR%201=1'),
  notify: fc.constantFrom('http://127.0.0.1:1/notify', 'http://127.0.0.1:1/n?q=%24where'),
  subscriptions: fc.option(fc.array(validName, { maxLength: 4 }), { nil: undefined }).chain((s) =>
    s === undefined ? fc.constantFrom<string[] | null | undefined>(undefined, null) : fc.constant(s),
  ),
  extra: extraKeys,
});

/** The wire body of some parts, with a pod name made unique by `tag`. */
function wireBody(parts: ValidParts, tag: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...(parts.extra ?? {}),
    // Unique groups: subscriptions then never fan out to hundreds of pods (that is the notifier
    // benchmark's job, not this test's).
    service_name: `${codePoints(parts.serviceName, 40)}~${tag}`,
    pod_name: `${codePoints(parts.podName, 40)}~${tag}`,
    providers: parts.providers,
    health_check_url: parts.health,
    notification_url: parts.notify,
  };
  if (parts.subscriptions !== undefined) body.subscriptions = parts.subscriptions;
  return body;
}

/** The first `n` code points (never splits a surrogate pair). */
function codePoints(s: string, n: number): string {
  return Array.from(s).slice(0, n).join('');
}

/** Percent-encodes like `encodeURIComponent`, sending a lone surrogate as its (invalid) UTF-8 bytes. */
function enc(s: string): string {
  return s.split(/[\ud800-\udfff]/u).map(encodeURIComponent).join('%ED%A0%80');
}

const post = (label: string, body: string | Buffer, expect: FuzzCase['expect'], headers: Record<string, string> = JSON_HEADERS): FuzzCase => ({
  label,
  method: 'POST',
  path: '/register',
  body,
  headers,
  expect,
});

const nonString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.constantFrom({ $gt: '' }, { $where: 'function(){return true}' }, { $ne: null }, {}),
);
const hugeString = fc.integer({ min: 129, max: 60_000 }).map((n) => 'x'.repeat(n));
const badName = fc.oneof(nonString, fc.constant(''), fc.constantFrom(...HOSTILE_INVALID_NAMES), hugeString);
const badProviders = fc.oneof(
  nonString.filter((v) => !Array.isArray(v) || v.length > 0),
  fc.constant([]),
  fc.array(validProvider, { minLength: 65, maxLength: 80 }),
  validProvider.chain((p) =>
    fc.constantFrom<unknown>(
      [{ ...p, protocol: 'ftp' }],
      [{ ...p, port: 0 }],
      [{ ...p, port: 65536 }],
      [{ ...p, port: 1.5 }],
      [{ ...p, port: '80' }],
      [{ ...p, port: -1 }],
      [{ ...p, ip: '' }],
      [{ ...p, ip: 'x'.repeat(256) }],
      [{ ...p, ip: 'a\u0000b' }],
      [{ protocol: p.protocol, port: p.port }],
      [null],
      [[]],
      [p, 'not a provider'],
    ),
  ),
);
const badUrl = fc.oneof(
  nonString,
  fc.constantFrom(
    '',
    'not a url',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'ftp://127.0.0.1/x',
    `http://127.0.0.1/${'a'.repeat(600)}`,
    'tcp://127.0.0.1',
    'tcp://:80',
    'http://127.0.0.1/\u0000',
    "'; DROP TABLE services; --",
    '/relative/path',
  ),
);
const badSubscriptions = fc.oneof(
  fc.constantFrom<unknown>('a', 5, {}, [''], ['a:b'], ['\u0000'], [123], [null], [{ $gt: '' }], Array(257).fill('x')),
  hugeString.map((s) => [s]),
);

const FIELDS = {
  service_name: badName,
  pod_name: badName,
  providers: badProviders,
  health_check_url: badUrl,
  notification_url: fc.oneof(badUrl, fc.constant('tcp://127.0.0.1:9')),
  subscriptions: badSubscriptions,
} as const;
const REQUIRED = ['service_name', 'pod_name', 'providers', 'health_check_url', 'notification_url'] as const;

/** Deep enough to break a recursive walker, small enough to stay under the 64 KiB body limit. */
const DEEP = fc.integer({ min: 1_000, max: 10_000 });

/** Invalid registrations, each with a pod name tagged `bad-<n>` so a wrong acceptance shows in the store. */
function invalidRegister(tag: () => string): fc.Arbitrary<FuzzCase> {
  const field = fc.constantFrom(...(Object.keys(FIELDS) as Array<keyof typeof FIELDS>));
  return fc.oneof(
    fc.tuple(validParts, field).chain(([parts, name]) =>
      FIELDS[name].map((bad) => post(`bad ${name}`, JSON.stringify({ ...wireBody(parts, tag()), [name]: bad }), 'invalid')),
    ),
    fc.tuple(validParts, fc.constantFrom(...REQUIRED)).map(([parts, name]) => {
      const body = wireBody(parts, tag());
      delete body[name];
      return post(`missing ${name}`, JSON.stringify(body), 'invalid');
    }),
    fc
      .tuple(
        validParts,
        fc.constantFrom(
          ['{', '{"__proto__":{"polluted":"yes","isAdmin":true},'],
          ['{', '{"constructor":{"prototype":{"polluted":"yes"}},'],
          ['{', '{"prototype":{"polluted":"yes"},'],
          ['"providers":[{', '"providers":[{"__proto__":{"polluted":"yes"},'],
          ['"providers":[{', '"providers":[{"constructor":{"prototype":{"polluted":"yes"}},'],
        ),
      )
      .map(([parts, [find, replace]]) => post('forbidden key', JSON.stringify(wireBody(parts, tag())).replace(find, replace), 'invalid')),
    fc.tuple(validParts, fc.constantFrom(...REQUIRED), badName).map(([parts, name, bad]) => {
      const text = JSON.stringify(wireBody(parts, tag()));
      const value = name === 'providers' ? '"not-an-array"' : JSON.stringify(bad ?? 0);
      return post(`duplicate key ${name}`, `${text.slice(0, -1)},"${name}":${value === 'null' ? '0' : value}}`, 'invalid');
    }),
    fc.tuple(validParts, fc.integer({ min: 1, max: 400 })).map(([parts, cut]) => {
      const text = JSON.stringify(wireBody(parts, tag()));
      return post('truncated JSON', text.slice(0, Math.max(0, text.length - cut)), 'invalid');
    }),
    fc.uint8Array({ maxLength: 300 }).map((bytes) => post('random bytes', Buffer.from(bytes), 'invalid')),
    fc
      .tuple(validParts, fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]))
      .map(([parts, bytes]) => {
        const text = JSON.stringify(wireBody(parts, tag()));
        const at = text.indexOf('"pod_name":"') + '"pod_name":"'.length;
        return post('invalid UTF-8', Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]), 'invalid');
      }),
    fc.tuple(DEEP, fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
      const close = open === '[' ? ']' : '}';
      return post(`deep nesting ${open}`, `{"service_name":${open.repeat(depth)}1${close.repeat(depth)}}`, 'invalid');
    }),
    fc
      .constantFrom('null', 'true', '42', '"a string"', '[]', '[{"service_name":"a"}]', '{}', '   ', '')
      .map((text) => post('not an object', text, 'invalid')),
    fc
      .tuple(
        validParts,
        fc.constantFrom<Record<string, string>>(
          {},
          { 'content-type': 'text/plain' },
          { 'content-type': 'application/x-www-form-urlencoded' },
          { 'content-type': 'multipart/form-data; boundary=x' },
          { 'content-type': 'application/json; charset=latin1' },
          { 'content-type': 'application/xml' },
          { 'content-type': 'json' },
        ),
      )
      .map(([parts, headers]) => post(`content type ${headers['content-type'] ?? '(none)'}`, JSON.stringify(wireBody(parts, tag())), 'invalid', headers)),
  );
}

const badQueryName = fc.oneof(
  fc.constant(''),
  fc.constant('   '),
  fc.constantFrom(...HOSTILE_INVALID_NAMES),
  fc.integer({ min: 129, max: 2_000 }).map((n) => 'y'.repeat(n)),
);
const ghostName = fc.oneof(fc.constantFrom(...HOSTILE_NAMES), freeName).map((s) => `ghost ${s}`);

const otherRequests: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.tuple(ghostName, ghostName).map(([s, p]) => ({
    label: 'unregister unknown pod',
    method: 'DELETE',
    path: `/unregister?service_name=${enc(s)}&pod_name=${enc(p)}`,
    headers: {},
    expect: 'invalid' as const,
  })),
  fc.tuple(badQueryName, ghostName, fc.boolean()).map(([bad, good, swap]) => {
    const [s, p] = swap ? [good, bad] : [bad, good];
    return {
      label: 'unregister bad name',
      method: 'DELETE',
      path: `/unregister?service_name=${enc(s)}&pod_name=${enc(p)}`,
      headers: {},
      expect: 'invalid' as const,
    };
  }),
  fc
    .constantFrom(
      '/unregister',
      '/unregister?service_name=a',
      '/unregister?pod_name=a',
      '/unregister?service_name=a&service_name=b&pod_name=c',
      '/unregister?service_name[$gt]=&pod_name[$ne]=',
      '/unregister?service_name=%zz&pod_name=%E0%A4%A',
      "/unregister?service_name='%20OR%201=1%20--&pod_name=x",
      '/unregister?service_name=%00&pod_name=%00',
      '/unregister?service_name=a%3Ab&pod_name=c',
      `/unregister?service_name=${'%41'.repeat(3_000)}&pod_name=x`,
    )
    .map((path) => ({ label: 'unregister odd query', method: 'DELETE', path, headers: {}, expect: 'invalid' as const })),
  fc
    .constantFrom<[string, string]>(
      ['GET', '/register'],
      ['PUT', '/register'],
      ['DELETE', '/register'],
      ['GET', '/unregister?service_name=a&pod_name=b'],
      ['POST', '/unregister?service_name=a&pod_name=b'],
      ['GET', '/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '/register/../services/x:y'],
      ['GET', '/services/%zz'],
      ['GET', '/services/a%3Ab'],
      ['GET', '/nope'],
    )
    .map(([method, path]) => ({ label: `${method} ${path.split('?')[0]}`, method, path, headers: {}, expect: 'invalid' as const })),
);

/**
 * `total` requests from one seed: about 10% valid registrations (each with a unique pod name),
 * 2% bodies over the limit, and the rest malformed or adversarial registrations and
 * unregistrations.
 */
export function generateCases(total: number, seed: number): FuzzCase[] {
  let invalidTag = 0;
  const tag = () => `bad-${invalidTag++}`;
  const kinds = fc.sample(fc.noBias(fc.integer({ min: 0, max: 99 })), { numRuns: total, seed });
  const nValid = kinds.filter((k) => k < 10).length;
  const nLarge = kinds.filter((k) => k >= 10 && k < 12).length;
  const nOther = kinds.filter((k) => k >= 12 && k < 32).length;
  const nInvalid = total - nValid - nLarge - nOther;
  const valid = fc.sample(validParts, { numRuns: nValid, seed: seed + 1 }).map((parts, i): FuzzCase => {
    const body = wireBody(parts, `ok-${i}`);
    const stored: StoredPod = {
      serviceName: body.service_name as string,
      podName: body.pod_name as string,
      providers: parts.providers,
      healthCheckUrl: parts.health,
      notificationUrl: parts.notify,
      subscriptions: [...new Set(parts.subscriptions ?? [])],
    };
    return { ...post('valid', JSON.stringify(body), 'valid'), stored };
  });
  const large = fc
    .sample(fc.tuple(validParts, fc.integer({ min: 70_000, max: 400_000 })), { numRuns: nLarge, seed: seed + 2 })
    .map(([parts, size]) => post('over the body limit', JSON.stringify({ ...wireBody(parts, tag()), pad: 'z'.repeat(size) }), 'too-large'));
  const other = fc.sample(otherRequests, { numRuns: nOther, seed: seed + 3 });
  const invalid = fc.sample(invalidRegister(tag), { numRuns: nInvalid, seed: seed + 4 });
  const queues = [valid, large, other, invalid];
  const out: FuzzCase[] = [];
  const cursor = [0, 0, 0, 0];
  for (const k of kinds) {
    const q = k < 10 ? 0 : k < 12 ? 1 : k < 32 ? 2 : 3;
    out.push(queues[q]![cursor[q]!++]!);
  }
  return out;
}
