import { keyOf } from '@governance/core';
import { compareFingerprints, fingerprint, subscriptionPairs, type ChecksumProfile } from '../checksum';
import type { Endpoint } from '../endpoints/endpoint';
import type { Output } from '../output';
import { sampleKeys } from './migrate-plan';

/**
 * Re-reads both sides and compares them: every source pod (except `exclude`, the conflicts
 * `--on-conflict skip` left alone) must be in the target with the same normalised content, the
 * checksums over those pods must be equal, and a store's subscription index must hold exactly the
 * pairs its pods list. Prints the figures of both sides; returns whether they agree.
 */
export async function verifyTransfer(
  source: Endpoint,
  target: Endpoint,
  profile: ChecksumProfile,
  exclude: ReadonlySet<string>,
  out: Output,
  signal?: AbortSignal,
): Promise<boolean> {
  const [sourcePods, targetPods] = await Promise.all([source.readAll(signal), target.readAll(signal)]);
  const expected = fingerprint(sourcePods, profile, (key) => !exclude.has(key));
  const actual = fingerprint(targetPods, profile, (key) => expected.digests.has(key));
  const diff = compareFingerprints(expected, actual);
  const what = profile === 'full' ? 'all fields' : 'registration fields only: a manager keeps its own status and times';
  out.line(`verify (${what}):`);
  out.line(`  source ${count(expected.pods)} pods, ${count(expected.subscriptions)} subscriptions, ${expected.checksum}`);
  out.line(`  target ${count(actual.pods)} pods, ${count(actual.subscriptions)} subscriptions, ${actual.checksum}`);
  const problems: string[] = [];
  if (diff.missing.length > 0) problems.push(`${count(diff.missing.length)} pods missing from the target: ${sampleKeys(diff.missing)}`);
  if (diff.different.length > 0) problems.push(`${count(diff.different.length)} pods differ: ${sampleKeys(diff.different)}`);
  for (const [side, pods] of [
    [source, sourcePods],
    [target, targetPods],
  ] as const) {
    if (side.subscriptionPairs === undefined) continue;
    const indexed = await side.subscriptionPairs(signal);
    const listed = subscriptionPairs(pods);
    if (indexed !== listed) {
      problems.push(`the subscription index of ${side.label} holds ${count(indexed)} pairs but its pods list ${count(listed)}`);
    }
  }
  if (exclude.size > 0) out.line(`  ${count(exclude.size)} conflicting pods kept the target's version (--on-conflict skip) and are not compared`);
  const sourceKeys = new Set(sourcePods.map(keyOf));
  const targetOnly = targetPods.filter((pod) => !sourceKeys.has(keyOf(pod))).length;
  if (targetOnly > 0) out.line(`  ${count(targetOnly)} pods exist only in the target (left alone)`);
  if (problems.length === 0 && expected.checksum === actual.checksum) {
    out.line('verify: OK, both sides hold the same pods');
    return true;
  }
  for (const problem of problems) out.line(`  DIFFERENCE: ${problem}`);
  out.line('verify: FAILED');
  return false;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
