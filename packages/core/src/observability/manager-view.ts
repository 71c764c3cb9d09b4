import type { ClusterStats } from '../cluster/coordinator';

export type { ClusterStats };

/** `stats().cluster` with this member's share of the pods, or `undefined` outside cluster mode. */
export function clusterOf(stats: object): (ClusterStats & { ownedShare: number }) | undefined {
  const cluster = (stats as { cluster?: ClusterStats }).cluster;
  if (cluster === undefined || cluster === null || typeof cluster !== 'object') return undefined;
  const total = (stats as { pods?: { total?: number } }).pods?.total ?? 0;
  return { ...cluster, ownedShare: total > 0 ? cluster.ownedPods / total : 0 };
}

/** The `result` label of a failed register/unregister call, from the error's code. */
export function requestResult(error: Error): string {
  switch ((error as { code?: unknown }).code) {
    case 'VALIDATION':
      return 'invalid';
    case 'QUEUE_FULL':
      return 'queue_full';
    case 'STORE':
      return 'store_error';
    case 'MANAGER_STOPPED':
      return 'stopped';
    default:
      return 'error';
  }
}
