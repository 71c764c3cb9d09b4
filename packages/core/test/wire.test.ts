import { describe, expect, it } from 'vitest';
import {
  ValidationError,
  fromWireRegistration,
  fromWireService,
  parseServiceInfo,
  toWireRegistration,
  toWireService,
  type ServiceInfo,
  type WireServiceInfo,
} from '@governance/core';
import { parseWireTime, toNotificationPod } from '../src/wire';

function service(overrides: Partial<ServiceInfo> = {}): ServiceInfo {
  return {
    serviceName: 'сервис-日本-🚀',
    podName: 'pod-ü-1',
    providers: [
      { protocol: 'http', ip: '192.168.1.30', port: 8080 },
      { protocol: 'tcp', ip: 'eir.core', port: 3868 },
    ],
    healthCheckUrl: 'http://192.168.1.30:8080/health',
    notificationUrl: 'http://192.168.1.30:8080/notify',
    subscriptions: ['diam-gw', 'ε-ir'],
    status: 'healthy',
    lastHealthCheck: new Date(Date.UTC(2026, 10, 23, 5, 6, 7, 891)),
    registeredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 1)),
    updatedAt: new Date(Date.UTC(2026, 10, 23, 5, 6, 7, 999)),
    ...overrides,
  };
}

describe('registration conversion', () => {
  it('maps every field to its snake_case wire name and back', () => {
    const reg = service();
    const wire = toWireRegistration(reg);
    expect(wire).toEqual({
      service_name: 'сервис-日本-🚀',
      pod_name: 'pod-ü-1',
      providers: reg.providers,
      health_check_url: 'http://192.168.1.30:8080/health',
      notification_url: 'http://192.168.1.30:8080/notify',
      subscriptions: ['diam-gw', 'ε-ir'],
    });
    expect(fromWireRegistration(wire)).toEqual({
      serviceName: reg.serviceName,
      podName: reg.podName,
      providers: reg.providers,
      healthCheckUrl: reg.healthCheckUrl,
      notificationUrl: reg.notificationUrl,
      subscriptions: reg.subscriptions,
    });
  });

  it('shares no array or provider with its input', () => {
    const reg = service();
    const wire = toWireRegistration(reg);
    wire.providers[0]!.port = 1;
    wire.subscriptions.push('x');
    expect(reg.providers[0]!.port).toBe(8080);
    expect(reg.subscriptions).toHaveLength(2);
  });
});

describe('service record conversion', () => {
  it('writes RFC 3339 UTC times with milliseconds', () => {
    const wire = toWireService(service());
    expect(wire.status).toBe('healthy');
    expect(wire.last_health_check).toBe('2026-11-23T05:06:07.891Z');
    expect(wire.registered_at).toBe('2026-01-01T00:00:00.001Z');
    expect(wire.updated_at).toBe('2026-11-23T05:06:07.999Z');
  });

  it('round-trips through JSON to the millisecond, unicode names intact', () => {
    const info = service();
    const back = fromWireService(JSON.parse(JSON.stringify(toWireService(info))) as WireServiceInfo);
    expect(back).toEqual(info);
    expect(back.lastHealthCheck.getTime()).toBe(info.lastHealthCheck.getTime());
    expect(parseServiceInfo(JSON.parse(JSON.stringify(toWireService(info))))).toEqual(info);
  });

  it('refuses to write an invalid Date, naming the field', () => {
    try {
      toWireService(service({ updatedAt: new Date(Number.NaN) }));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([{ path: 'updatedAt', message: 'must be a valid Date' }]);
    }
  });

  it('rejects bad wire times with their wire paths', () => {
    const wire = { ...toWireService(service()), registered_at: '2026-02-30T00:00:00Z', updated_at: 'yesterday' };
    try {
      fromWireService(wire);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((e) => e.path)).toEqual(['registered_at', 'updated_at']);
    }
  });

  it('reads Go RFC 3339 times: nanoseconds, offsets, the zero time', () => {
    expect(parseWireTime('2026-11-23T12:06:07.891234567+07:00')?.toISOString()).toBe('2026-11-23T05:06:07.891Z');
    expect(parseWireTime('2026-11-23T05:06:07Z')?.toISOString()).toBe('2026-11-23T05:06:07.000Z');
    expect(parseWireTime('2026-11-23T05:06:07.5-01:30')?.toISOString()).toBe('2026-11-23T06:36:07.500Z');
    expect(parseWireTime('0001-01-01T00:00:00Z')?.toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(parseWireTime('2024-02-29T00:00:00Z')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T00:00:00',
    '2026-01-01',
    '',
    'x'.repeat(100),
  ])('rejects the wire time %j', (text) => {
    expect(parseWireTime(text)).toBeUndefined();
  });

  it('parseServiceInfo validates the registration fields, status and times together', () => {
    const wire = { ...toWireService(service()), status: 'sick', pod_name: 'a:b', last_health_check: 5, providers: [] };
    try {
      parseServiceInfo(wire);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((e) => e.path)).toEqual([
        'pod_name',
        'providers',
        'status',
        'last_health_check',
      ]);
    }
    expect(() => parseServiceInfo('nope')).toThrow(ValidationError);
  });
});

describe('notification pods', () => {
  it('carries pod name, status and a copy of the providers', () => {
    const info = service({ status: 'unhealthy' });
    const pod = toNotificationPod(info);
    expect(pod).toEqual({ pod_name: 'pod-ü-1', status: 'unhealthy', providers: info.providers });
    expect(pod.providers[0]).not.toBe(info.providers[0]);
    expect(JSON.parse(JSON.stringify(pod))).toEqual(pod);
  });
});
