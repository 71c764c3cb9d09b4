import { ValidationError, keyOf, toWireService, type ServiceInfo } from '@governance/core';
import { describe, expect, it } from 'vitest';
import { canonicalPod, compareFingerprints, fingerprint } from '../src/checksum';
import { loadStoreClass, parseEndpointUrl } from '../src/endpoints/open-endpoint';
import { SecretMasker, redactUrl } from '../src/mask';
import { parseLine } from '../src/ndjson';
import { parsePodRecord, toNativeShape } from '../src/records';
import { makePods } from './support/pods';

const NOW = new Date('2026-05-06T07:08:09.010Z');

describe('secret masking', () => {
  it('masks URL passwords, also with @ or / percent-encoded, and leaves other text alone', () => {
    expect(redactUrl('connect postgres://app:s3cret@db:5432/gov failed')).toBe('connect postgres://app:***@db:5432/gov failed');
    expect(redactUrl('mysql://root:a%40b%2Fc@h/x')).toBe('mysql://root:***@h/x');
    expect(redactUrl('mongodb+srv://u:p@cluster0.example/db')).toBe('mongodb+srv://u:***@cluster0.example/db');
    expect(redactUrl('http://127.0.0.1:8080/gov and 10:20')).toBe('http://127.0.0.1:8080/gov and 10:20');
  });

  it('masks registered secrets anywhere, raw and percent-encoded', () => {
    const masker = new SecretMasker();
    masker.addUrl('mysql://root:p%40ss-word@h/x');
    masker.add('token-1234567890abcdef');
    expect(masker.mask('auth p@ss-word, token token-1234567890abcdef, url p%40ss-word')).toBe('auth ***, token ***, url ***');
  });
});

describe('pod records (native and Go profile)', () => {
  const pod = makePods(1)[0]!;
  const wire = JSON.parse(JSON.stringify({
    service_name: pod.serviceName, pod_name: pod.podName, providers: pod.providers, health_check_url: pod.healthCheckUrl,
    notification_url: pod.notificationUrl, subscriptions: pod.subscriptions, status: pod.status,
    last_health_check: pod.lastHealthCheck, registered_at: pod.registeredAt, updated_at: pod.updatedAt,
  }));

  it('reads the native record and the Go PascalCase one to the same pod (Go: UpdatedAt = RegisteredAt, nanoseconds cut to ms)', () => {
    expect(parsePodRecord(wire, NOW)).toEqual(pod);
    const go = {
      ServiceName: pod.serviceName, PodName: pod.podName,
      Providers: pod.providers.map((p) => ({ Protocol: p.protocol, IP: p.ip, Port: p.port })),
      HealthCheckURL: pod.healthCheckUrl, NotificationURL: pod.notificationUrl, Subscriptions: null, Status: pod.status,
      LastHealthCheck: '2026-01-02T03:04:05.678999999Z', RegisteredAt: '2026-01-01T00:00:00+02:00',
    };
    expect(parsePodRecord(go, NOW)).toEqual({
      ...pod,
      subscriptions: [],
      lastHealthCheck: new Date('2026-01-02T03:04:05.678Z'),
      registeredAt: new Date('2025-12-31T22:00:00Z'),
      updatedAt: new Date('2025-12-31T22:00:00Z'),
    });
    expect(toNativeShape([1])).toEqual([1]);
  });

  it('gives a bare registration status unknown and the import time; a partial state is refused field by field', () => {
    const { status: _s, last_health_check: _l, registered_at: _r, updated_at: _u, ...bare } = wire;
    expect(parsePodRecord(bare, NOW)).toMatchObject({ status: 'unknown', lastHealthCheck: NOW, registeredAt: NOW, updatedAt: NOW });
    const partial = () => parsePodRecord({ ...bare, status: 'healthy' }, NOW);
    expect(partial).toThrow(ValidationError);
    expect(partial).toThrow(/last_health_check: is required|last_health_check: must be/);
  });

  it('collects registration, status and time problems together, with wire paths', () => {
    try {
      parsePodRecord({ ...wire, pod_name: 'a:b', status: 'up', updated_at: 'yesterday' }, NOW);
      expect.unreachable();
    } catch (error) {
      const paths = (error as ValidationError).errors.map((e) => e.path);
      expect(paths).toEqual(expect.arrayContaining(['pod_name', 'status', 'updated_at']));
      expect((error as Error).message).toMatch(/^\[cli\] invalid pod record: /);
    }
  });

  it('tells a header, pods, blank lines and bad lines apart', () => {
    expect(parseLine('  ', true, NOW)).toEqual({ kind: 'blank' });
    expect(parseLine('{"format":"governance-registry","version":1,"count":0}', true, NOW).kind).toBe('header');
    expect(parseLine('{"format":"governance-registry","version":1}', false, NOW)).toEqual({ kind: 'error', message: 'a header line is only allowed as the first line' });
    expect(parseLine('{"format":"other"}', true, NOW)).toMatchObject({ kind: 'error', message: expect.stringMatching(/^format: must be "governance-registry"/) });
    expect(parseLine(JSON.stringify(wire), true, NOW)).toEqual({ kind: 'pod', pod });
    expect(parseLine('[]', false, NOW)).toMatchObject({ kind: 'error' });
  });
});

describe('checksum normalisation', () => {
  const [a, b] = makePods(2) as [ServiceInfo, ServiceInfo];

  it('ignores subscription order and duplicates and key order, but not provider order, content or ms times', () => {
    const shuffled = { ...a, subscriptions: [...a.subscriptions].reverse().concat(a.subscriptions) };
    expect(canonicalPod(shuffled)).toBe(canonicalPod(a));
    expect(canonicalPod({ ...a, providers: [...a.providers].reverse() })).not.toBe(canonicalPod(a));
    expect(canonicalPod({ ...a, lastHealthCheck: new Date(a.lastHealthCheck.getTime() + 1) })).not.toBe(canonicalPod(a));
    expect(canonicalPod({ ...a, status: 'unknown' }, 'registration')).toBe(canonicalPod(a, 'registration'));
    expect(canonicalPod(a)).toMatch(/^\{"health_check_url":.*"updated_at":"[^"]+"\}$/);
  });

  it('is the wire form with its keys sorted at every level and its subscriptions sorted', () => {
    const sortKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortKeys)
        : typeof v === 'object' && v !== null
          ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
          : v;
    const wire = { ...toWireService(a), subscriptions: [...new Set(a.subscriptions)].sort() };
    expect(canonicalPod(a)).toBe(JSON.stringify(sortKeys(wire)));
    const { status: _s, last_health_check: _l, registered_at: _r, updated_at: _u, ...registration } = wire;
    expect(canonicalPod(a, 'registration')).toBe(JSON.stringify(sortKeys(registration)));
  });

  it('includes a TTL pod\'s ttl at its sorted place, in both profiles', () => {
    const t: ServiceInfo = { ...a, healthCheckUrl: '', ttl: 15_000 };
    const sortKeys = (v: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
    const wire = { ...toWireService(t), subscriptions: [...new Set(t.subscriptions)].sort() };
    const providers = wire.providers.map((p) => sortKeys({ ...p }));
    expect(canonicalPod(t)).toBe(JSON.stringify(sortKeys({ ...wire, providers })));
    expect(canonicalPod(t, 'registration')).not.toBe(canonicalPod({ ...t, ttl: 20_000 }, 'registration'));
  });

  it('does not depend on read order, and names missing, extra and different keys', () => {
    const one = fingerprint([a, b], 'full');
    expect(fingerprint([b, a], 'full').checksum).toBe(one.checksum);
    const changed = { ...b, notificationUrl: 'http://elsewhere/notify' };
    const c = makePods(3)[2]!;
    const diff = compareFingerprints(one, fingerprint([changed, c], 'full'));
    expect(diff).toEqual({ missing: [keyOf(a)], extra: [keyOf(c)], different: [keyOf(b)] });
  });
});

describe('endpoint URLs', () => {
  it('keeps the CLI parameters out of the store URL but in the label', () => {
    const parsed = parseEndpointUrl('postgres://app:pw@db:5432/gov?schema=reg&table_prefix=gov_&sslmode=require', '--to');
    expect(parsed.kind).toBe('postgres');
    expect(parsed.options).toEqual({ schema: 'reg', tablePrefix: 'gov_' });
    expect(parsed.url.href).toBe('postgres://app:pw@db:5432/gov?sslmode=require');
    expect(parsed.label).toBe('postgres://app:***@db:5432/gov?schema=reg&table_prefix=gov_&sslmode=require');
    expect(parseEndpointUrl('mariadb://root@h/x', '--to').kind).toBe('mysql');
    expect(parseEndpointUrl('https://gov.example/api/gov/', '--from').kind).toBe('manager');
  });

  it('names the package to install when a store driver is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'mongodb' imported from /app/node_modules/@governance/store-mongodb/dist/index.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const load = async (): Promise<never> => {
      throw missing;
    };
    await expect(loadStoreClass('mongodb', load)).rejects.toThrow(
      '[cli] mongodb:// URLs need the package "mongodb", which is not installed: install it beside @governance/cli (npm install mongodb), or with npx: npx -p @governance/cli -p mongodb governance …',
    );
    const other = new Error('boom');
    await expect(loadStoreClass('postgres', async () => Promise.reject(other))).rejects.toBe(other);
    expect(typeof (await loadStoreClass('postgres'))).toBe('function');
  });
});
