/**
 * The content checksum `migrate` verifies with, computed the same way on both sides.
 *
 * Normalisation of one pod: its snake_case wire form, object keys sorted, providers in their
 * order (order is part of a registration), subscriptions de-duplicated and sorted, times as
 * RFC 3339 UTC with milliseconds. The checksum of a set of pods is SHA-256 over the sorted
 * `key NUL digest` lines, so the order pods are read in never matters.
 */
import { createHash } from 'node:crypto';
import { keyOf, toWireService, type ServiceInfo } from '@governance/core';

/**
 * What is compared: `full` (registration, status and the three times) between stores;
 * `registration` only when a manager is involved — a manager's health checks keep changing
 * status and times, and registering through a manager cannot set them.
 */
export type ChecksumProfile = 'full' | 'registration';

/** JSON with object keys sorted at every level (arrays keep their order). */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The normalised text of one pod (see the module comment). */
export function canonicalPod(pod: ServiceInfo, profile: ChecksumProfile = 'full'): string {
  const wire: Record<string, unknown> = { ...toWireService(pod) };
  wire.subscriptions = [...new Set(pod.subscriptions)].sort();
  if (profile === 'registration') {
    delete wire.status;
    delete wire.last_health_check;
    delete wire.registered_at;
    delete wire.updated_at;
  }
  return sortedJson(wire);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
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
  let subscriptions = 0;
  for (const pod of pods) {
    const key = keyOf(pod);
    if (!include(key)) continue;
    digests.set(key, sha256(canonicalPod(pod, profile)));
    subscriptions += new Set(pod.subscriptions).size;
  }
  const hash = createHash('sha256');
  for (const key of [...digests.keys()].sort()) hash.update(`${key}\u0000${digests.get(key)}\n`, 'utf8');
  return { pods: digests.size, subscriptions, checksum: `sha256:${hash.digest('hex')}`, digests };
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
