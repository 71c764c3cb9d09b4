import { PROTOCOLS, SERVICE_STATUSES, StoreError, ValidationError, keyOf, type Provider, type ServiceInfo } from '@governance/core';
import { makeService, makeUnicodeService } from '@governance/core/testing';
import { fromServiceDocument, toServiceDocument } from '../src/mongo-documents';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';

/** What the server would hand back: the document through the driver's real BSON codec. */
function throughBson(service: ServiceInfo): ServiceInfo {
  const bytes = BSON.serialize(toServiceDocument(service));
  return fromServiceDocument(BSON.deserialize(bytes));
}

describe('a TTL pod in a document', () => {
  it('stores ttl as ttl_ms and reads it back; a probed pod has no such field', () => {
    const ttlPod = makeService({ healthCheckUrl: '', ttl: 15_000 });
    expect(toServiceDocument(ttlPod).ttl_ms).toBe(15_000);
    expect(throughBson(ttlPod)).toEqual(ttlPod);
    expect('ttl_ms' in toServiceDocument(makeService())).toBe(false);
    expect('ttl' in throughBson(makeService())).toBe(false);
    expect(() => fromServiceDocument({ ...toServiceDocument(ttlPod), ttl_ms: 'soon' })).toThrow(/ttl_ms/);
  });
});

describe('toServiceDocument', () => {
  it('uses the service key as _id and the snake_case field names of the SQL schema', () => {
    const pod = makeService({ subscriptions: ['eir', 'diam-gw'], status: 'healthy' });
    expect(toServiceDocument(pod)).toEqual({
      _id: 'http-gw:http-gw-1',
      service_name: 'http-gw',
      pod_name: 'http-gw-1',
      providers: pod.providers,
      health_check_url: pod.healthCheckUrl,
      notification_url: pod.notificationUrl,
      subscriptions: ['eir', 'diam-gw'],
      status: 'healthy',
      last_health_check: pod.lastHealthCheck,
      registered_at: pod.registeredAt,
      updated_at: pod.updatedAt,
    });
  });

  it('shares no array, provider or date with the input', () => {
    const pod = makeService({ subscriptions: ['eir'] });
    const doc = toServiceDocument(pod);
    expect(doc.providers).not.toBe(pod.providers);
    expect(doc.providers[0]).not.toBe(pod.providers[0]);
    expect(doc.subscriptions).not.toBe(pod.subscriptions);
    expect(doc.last_health_check).not.toBe(pod.lastHealthCheck);
    pod.providers[0]!.port = 1;
    pod.subscriptions.push('later');
    pod.lastHealthCheck.setTime(0);
    expect(doc.providers[0]!.port).toBe(8080);
    expect(doc.subscriptions).toEqual(['eir']);
    expect(doc.last_health_check.toISOString()).toBe('2026-03-04T05:06:07.089Z');
  });

  it('stores dates as BSON dates and ports as 32-bit integers', () => {
    const raw = BSON.deserialize(BSON.serialize(toServiceDocument(makeService())), { promoteValues: false });
    expect(raw.registered_at).toBeInstanceOf(Date);
    expect(raw.last_health_check).toBeInstanceOf(Date);
    expect(raw.updated_at).toBeInstanceOf(Date);
    expect(raw.providers[0].port).toBeInstanceOf(BSON.Int32);
    expect(typeof raw._id).toBe('string');
  });

  it('rejects a record it could not store faithfully, naming every bad field', () => {
    const bad = makeService({
      serviceName: 'a:b',
      providers: [{ protocol: 'smtp' as Provider['protocol'], ip: '10.0.0.1', port: 70_000 }],
      subscriptions: [''],
      status: 'sleepy' as ServiceInfo['status'],
      updatedAt: new Date(Number.NaN),
    });
    let caught: unknown;
    try {
      toServiceDocument(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).errors.map((e) => e.path)).toEqual([
      'serviceName',
      'providers[0].protocol',
      'providers[0].port',
      'subscriptions[0]',
      'status',
      'updatedAt',
    ]);
    expect((caught as Error).message).toContain('store-mongodb');
  });
});

describe('document ↔ ServiceInfo through the real BSON codec', () => {
  it('a typical pod comes back equal and as fresh objects', () => {
    const pod = makeService({ subscriptions: ['eir', 'diam-gw'] });
    const back = throughBson(pod);
    expect(back).toEqual(pod);
    expect(back.providers).not.toBe(pod.providers);
    expect(back.lastHealthCheck).not.toBe(pod.lastHealthCheck);
  });

  it('empty provider and subscription lists come back as []', () => {
    const back = throughBson(makeService({ providers: [], subscriptions: [] }));
    expect(back.providers).toEqual([]);
    expect(back.subscriptions).toEqual([]);
  });

  it('unicode names, URLs and groups survive', () => {
    const pod = makeUnicodeService();
    const back = throughBson(pod);
    expect(back).toEqual(pod);
    expect(keyOf(back)).toBe('сервис-ü-日本-😀:pod-ñ-Ω-🚀');
  });

  it('64 providers keep their order, protocols, IPv6 addresses and edge ports', () => {
    const providers: Provider[] = Array.from({ length: 64 }, (_, i) => ({
      protocol: PROTOCOLS[i % PROTOCOLS.length]!,
      ip: i % 4 === 3 ? `fd00::${i.toString(16)}` : `10.3.${i}.${255 - i}`,
      port: i === 0 ? 1 : i === 63 ? 65_535 : 1000 + i * 997,
    }));
    expect(throughBson(makeService({ providers })).providers).toEqual(providers);
  });

  it('timestamps keep their milliseconds, also before 1970 and far ahead', () => {
    for (const iso of ['2026-01-01T00:00:00.001Z', '2026-06-30T23:59:59.999Z', '1969-12-31T23:59:59.999Z', '2999-01-01T00:00:00.500Z']) {
      const back = throughBson(makeService({ lastHealthCheck: new Date(iso), registeredAt: new Date(iso), updatedAt: new Date(iso) }));
      expect([back.lastHealthCheck, back.registeredAt, back.updatedAt].map((d) => d.toISOString())).toEqual([iso, iso, iso]);
    }
  });

  it('the record keeps its subscription list exactly as saved', () => {
    expect(throughBson(makeService({ subscriptions: ['b', 'a', 'b'] })).subscriptions).toEqual(['b', 'a', 'b']);
  });

  it('any valid record round-trips (property)', () => {
    const name = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }).filter((s) => !s.includes(':'));
    const date = fc.date({ min: new Date('1900-01-01T00:00:00.000Z'), max: new Date('2200-01-01T00:00:00.000Z'), noInvalidDate: true });
    const record = fc.record({
      serviceName: name,
      podName: name,
      providers: fc.array(
        fc.record({ protocol: fc.constantFrom(...PROTOCOLS), ip: fc.oneof(fc.ipV4(), fc.ipV6()), port: fc.integer({ min: 0, max: 65_535 }) }),
        { maxLength: 8 },
      ),
      healthCheckUrl: fc.string({ unit: 'grapheme', maxLength: 40 }),
      notificationUrl: fc.string({ unit: 'grapheme', maxLength: 40 }),
      subscriptions: fc.uniqueArray(name, { maxLength: 6 }),
      status: fc.constantFrom(...SERVICE_STATUSES),
      lastHealthCheck: date,
      registeredAt: date,
      updatedAt: date,
    });
    fc.assert(
      fc.property(record, (pod) => {
        expect(throughBson(pod)).toEqual(pod);
      }),
      { numRuns: 100 },
    );
  });
});

describe('fromServiceDocument', () => {
  const stored = () => BSON.deserialize(BSON.serialize(toServiceDocument(makeService())));

  it('ignores fields it does not know', () => {
    const doc = { ...stored(), written_by: 'another tool', revision: 7 };
    expect(fromServiceDocument(doc)).toEqual(makeService());
  });

  it.each([
    ['status', (d: Record<string, unknown>) => void delete d.status, 'status'],
    ['status', (d: Record<string, unknown>) => void (d.status = 'sleepy'), 'status'],
    ['a date stored as a string', (d: Record<string, unknown>) => void (d.registered_at = '2026-01-01T00:00:00Z'), 'registered_at'],
    ['a provider without a port', (d: Record<string, unknown>) => void (d.providers = [{ protocol: 'http', ip: '10.0.0.1' }]), 'providers[0]'],
    ['subscriptions stored as a string', (d: Record<string, unknown>) => void (d.subscriptions = 'eir'), 'subscriptions'],
    ['a missing service_name', (d: Record<string, unknown>) => void delete d.service_name, 'service_name'],
  ])('a document with %s is reported as a StoreError naming the field', (_what, spoil, field) => {
    const doc = stored();
    spoil(doc);
    let caught: unknown;
    try {
      fromServiceDocument(doc, 'getAllServices');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreError);
    const message = (caught as Error).message;
    expect(message).toMatch(/^\[store-mongodb\] getAllServices failed: /);
    expect(message).toContain(`no valid ${field} `);
    expect(message).toContain('"http-gw:http-gw-1"');
  });
});
