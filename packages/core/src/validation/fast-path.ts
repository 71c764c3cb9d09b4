/**
 * The fast path of validation: accepts a plain, valid registration without the schema library
 * and builds the same normalized result, so the common case (a valid registration) is cheap.
 */
import { PROTOCOLS, type Protocol, type Provider, type ServiceRegistration } from '../model';
import { WIRE_FIELD_NAMES } from '../wire';
import { BAD_CHAR, LIMITS, nameProblem, parseUrl, urlProblem } from './rules';

/** The hosts a valid registration's two URLs name, as validation parsed them. */
export interface RegistrationTargets {
  readonly healthCheck: URL;
  readonly notification: URL;
}

/** What the fast path accepted. */
export interface Accepted {
  registration: ServiceRegistration;
  targets: RegistrationTargets;
}

/** Where quickAccept finds each field: under its model name or under its wire name. */
export type FieldKeys = Readonly<Record<keyof ServiceRegistration, string>>;

// Both tables are built with the same keys in the same order, so they share one hidden class and
// the lookups in quickAccept stay monomorphic.
export const WIRE_KEYS: FieldKeys = {
  serviceName: WIRE_FIELD_NAMES.serviceName,
  podName: WIRE_FIELD_NAMES.podName,
  providers: WIRE_FIELD_NAMES.providers,
  healthCheckUrl: WIRE_FIELD_NAMES.healthCheckUrl,
  notificationUrl: WIRE_FIELD_NAMES.notificationUrl,
  subscriptions: WIRE_FIELD_NAMES.subscriptions,
  ttl: WIRE_FIELD_NAMES.ttl,
};

export const MODEL_KEYS: FieldKeys = {
  serviceName: 'serviceName',
  podName: 'podName',
  providers: 'providers',
  healthCheckUrl: 'healthCheckUrl',
  notificationUrl: 'notificationUrl',
  subscriptions: 'subscriptions',
  ttl: 'ttl',
};

const PROTOCOL_SET: ReadonlySet<unknown> = new Set(PROTOCOLS);

function validName(value: unknown): value is string {
  return typeof value === 'string' && nameProblem(value) === undefined;
}

function acceptedUrl(value: unknown, allowTcp: boolean): URL | undefined {
  if (typeof value !== 'string' || value.length > LIMITS.urlMaxLength) return undefined;
  const url = parseUrl(value);
  return url !== undefined && urlProblem(value, allowTcp, '', '', url) === undefined ? url : undefined;
}

/**
 * The fast path: accepts a plain object that breaks none of the schema's rules and builds the
 * same normalized registration the schema would. Anything it is unsure about (a rule broken, an
 * unusual object) gives `undefined`, and the schema then decides and words the errors; so it can
 * never accept what the schema refuses.
 */
export function quickAccept(input: unknown, keys: FieldKeys): Accepted | undefined {
  try {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    const proto: unknown = Object.getPrototypeOf(input);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const o = input as Record<string, unknown>;
    const serviceName = o[keys.serviceName];
    const podName = o[keys.podName];
    if (!validName(serviceName) || !validName(podName)) return undefined;
    const list = o[keys.providers];
    if (!Array.isArray(list) || list.length < LIMITS.providersMin || list.length > LIMITS.providersMax) return undefined;
    const providers: Provider[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const p: unknown = list[i];
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
      const { protocol, ip, port } = p as Record<string, unknown>;
      if (!PROTOCOL_SET.has(protocol)) return undefined;
      if (typeof ip !== 'string' || ip.length < 1 || ip.length > LIMITS.ipMaxLength || BAD_CHAR.test(ip)) return undefined;
      if (typeof port !== 'number' || !Number.isInteger(port) || port < LIMITS.portMin || port > LIMITS.portMax) return undefined;
      providers[i] = { protocol: protocol as Protocol, ip, port };
    }
    if (o[keys.ttl] !== undefined) return undefined; // TTL registrations are rare: the schema decides
    const healthCheckUrl = o[keys.healthCheckUrl];
    const notificationUrl = o[keys.notificationUrl];
    const healthCheck = acceptedUrl(healthCheckUrl, true);
    const notification = acceptedUrl(notificationUrl, false);
    if (healthCheck === undefined || notification === undefined) return undefined;
    const subs = o[keys.subscriptions];
    let subscriptions: string[] = [];
    if (subs !== undefined && subs !== null) {
      if (!Array.isArray(subs) || subs.length > LIMITS.subscriptionsMax) return undefined;
      for (let i = 0; i < subs.length; i++) if (!validName(subs[i])) return undefined;
      subscriptions = subs.length < 2 ? subs.slice() : [...new Set<string>(subs)];
    }
    return {
      registration: {
        serviceName,
        podName,
        providers,
        healthCheckUrl: healthCheckUrl as string,
        notificationUrl: notificationUrl as string,
        subscriptions,
      },
      targets: { healthCheck, notification },
    };
  } catch {
    return undefined;
  }
}
