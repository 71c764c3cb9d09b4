/**
 * The content checksum `migrate` verifies with, computed the same way on both sides.
 *
 * Normalisation of one pod: its snake_case wire form, object keys sorted, providers in their
 * order (order is part of a registration), subscriptions de-duplicated and sorted, times as
 * RFC 3339 UTC with milliseconds. The checksum of a set of pods is SHA-256 over the sorted
 * `key NUL digest` lines, so the order pods are read in never matters.
 */
import { createHash, hash } from 'node:crypto';
import { keyOf, toWireService, type ServiceInfo } from '@governance/core';

/**
 * What is compared: `full` (registration, status and the three times) between stores;
 * `registration` only when a manager is involved — a manager's health checks keep changing
 * status and times, and registering through a manager cannot set them.
 */
export type ChecksumProfile = 'full' | 'registration';

const text = JSON.stringify;

/** One provider with its keys in sorted order. */
function providerJson(p: { protocol: string; ip: string; port: number }): string {
  return `{"ip":${text(p.ip)},"port":${text(p.port)},"protocol":${text(p.protocol)}}`;
}

/**
 * The normalised text of one pod (see the module comment): the wire fields with their keys in
 * sorted order, written out directly (this runs for every pod on both sides, twice).
 */
export function canonicalPod(pod: ServiceInfo, profile: ChecksumProfile = 'full'): string {
  const wire = toWireService(pod);
  const subscriptions = [...new Set(wire.subscriptions)].sort();
  const head = `{"health_check_url":${text(wire.health_check_url)}`;
  const providers = `"providers":[${wire.providers.map(providerJson).join(',')}]`;
  // A TTL pod's ttl sorts between subscriptions and updated_at; a pod without one hashes as before.
  const subs = `"subscriptions":${text(subscriptions)}${wire.ttl === undefined ? '' : `,"ttl":${text(wire.ttl)}`}`;
  if (profile === 'registration') {
    return `${head},"notification_url":${text(wire.notification_url)},"pod_name":${text(wire.pod_name)},${providers},"service_name":${text(wire.service_name)},${subs}}`;
  }
  return (
    `${head},"last_health_check":${text(wire.last_health_check)},"notification_url":${text(wire.notification_url)},` +
    `"pod_name":${text(wire.pod_name)},${providers},"registered_at":${text(wire.registered_at)},` +
    `"service_name":${text(wire.service_name)},"status":${text(wire.status)},${subs},"updated_at":${text(wire.updated_at)}}`
  );
}

/** (subscriber, group) pairs the pods list, each pod's subscriptions de-duplicated. */
export function subscriptionPairs(pods: Iterable<ServiceInfo>): number {
  let pairs = 0;
  for (const pod of pods) pairs += new Set(pod.subscriptions).size;
  return pairs;
}

/** Counts and checksum of a set of pods, with each pod's digest for naming differences. */
export interface Fingerprint {
  pods: number;
  /** (subscriber, group) pairs the pods list, each pod's subscriptions de-duplicated. */
  subscriptions: number;
  /** `sha256:<hex>` over the sorted per-pod digests. */
  checksum: string;
  /** Pod key → digest of its normalised text. */
  digests: Map<string, string>;
}

/** The fingerprint of `pods`, or of those among them whose key `include` accepts. */
export function fingerprint(
  pods: Iterable<ServiceInfo>,
  profile: ChecksumProfile,
  include: (key: string) => boolean = () => true,
): Fingerprint {
  const digests = new Map<string, string>();
  const included: ServiceInfo[] = [];
  for (const pod of pods) {
    const key = keyOf(pod);
    if (!include(key)) continue;
    digests.set(key, hash('sha256', canonicalPod(pod, profile), 'base64'));
    included.push(pod);
  }
  const subscriptions = subscriptionPairs(included);
  const total = createHash('sha256');
  for (const key of [...digests.keys()].sort()) total.update(`${key}\u0000${digests.get(key)}\n`, 'utf8');
  return { pods: digests.size, subscriptions, checksum: `sha256:${total.digest('hex')}`, digests };
}

/** Keys present on one side only, and keys whose content differs. */
export interface FingerprintDifference {
  missing: string[];
  extra: string[];
  different: string[];
}

/** How `target` differs from `expected` (keys sorted). */
export function compareFingerprints(expected: Fingerprint, target: Fingerprint): FingerprintDifference {
  const missing: string[] = [];
  const different: string[] = [];
  for (const [key, digest] of expected.digests) {
    const other = target.digests.get(key);
    if (other === undefined) missing.push(key);
    else if (other !== digest) different.push(key);
  }
  const extra = [...target.digests.keys()].filter((key) => !expected.digests.has(key));
  return { missing: missing.sort(), extra: extra.sort(), different: different.sort() };
}
