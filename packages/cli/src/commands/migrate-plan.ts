import { ValidationError, formatFieldErrors, keyOf, type ServiceInfo } from '@governance/core';
import { fingerprint, type ChecksumProfile } from '../checksum';
import { checkStoredPod } from '../records';

/** What `--on-conflict` does with a pod the target already holds with different content. */
export type ConflictPolicy = 'skip' | 'overwrite' | 'fail';
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['skip', 'overwrite', 'fail'];

/** What a migration will do, computed before anything is written. */
export interface MigrationPlan {
  /** Source pods, checked and normalised, in key order. */
  source: ServiceInfo[];
  /** Pods to write (absent from the target, or conflicting under `overwrite`), in key order. */
  toWrite: ServiceInfo[];
  /** Keys the target already holds with the same content (an earlier, interrupted run wrote them). */
  identical: number;
  /** Keys the target holds with different content. */
  conflicts: string[];
  /** Pods only the target has (left alone). */
  targetOnly: number;
  /** Source pods that break the registration rules, with their problems. */
  invalid: Array<{ key: string; problems: string }>;
}

/** Compares source and target pod by pod (with `profile`) and decides what to write. */
export function planMigration(
  sourcePods: readonly ServiceInfo[],
  targetPods: readonly ServiceInfo[],
  profile: ChecksumProfile,
  policy: ConflictPolicy,
): MigrationPlan {
  const invalid: MigrationPlan['invalid'] = [];
  const source: ServiceInfo[] = [];
  for (const pod of sourcePods) {
    try {
      source.push(checkStoredPod(pod));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      invalid.push({ key: keyOf(pod), problems: formatFieldErrors(error.errors).split('\n').join('; ') });
    }
  }
  source.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const wanted = fingerprint(source, profile);
  const present = fingerprint(targetPods, profile);
  const toWrite: ServiceInfo[] = [];
  const conflicts: string[] = [];
  let identical = 0;
  for (const pod of source) {
    const key = keyOf(pod);
    const there = present.digests.get(key);
    if (there === undefined) toWrite.push(pod);
    else if (there === wanted.digests.get(key)) identical++;
    else {
      conflicts.push(key);
      if (policy === 'overwrite') toWrite.push(pod);
    }
  }
  let targetOnly = 0;
  for (const key of present.digests.keys()) if (!wanted.digests.has(key)) targetOnly++;
  return { source, toWrite, identical, conflicts, targetOnly, invalid };
}

/** Plain code-unit order, the same on every machine (no locale). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `a:1, b:2, c:3 and 7 more`. */
export function sampleKeys(keys: readonly string[], shown = 5): string {
  const head = keys.slice(0, shown).join(', ');
  return keys.length > shown ? `${head} and ${keys.length - shown} more` : head;
}
