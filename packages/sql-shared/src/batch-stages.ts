import { keyOf, type StoreMutation } from '@governance/core';

/** Mutations of one kind that can be applied together, with their positions in the batch. */
export interface BatchStage {
  type: StoreMutation['type'];
  items: Array<{ index: number; key: string; mutation: StoreMutation }>;
}

/**
 * Groups a batch into as few single-kind stages as possible without changing its meaning:
 * changes to different pods commute, so each mutation joins the earliest stage of its kind
 * that comes no earlier than the stage of the previous mutation of the same pod. Stages then
 * run in order, each with a few multi-row statements instead of one round trip per mutation.
 * A pod is deleted at most once per stage, so every delete reports what it found.
 */
export function planStages(mutations: readonly StoreMutation[]): BatchStage[] {
  const stages: BatchStage[] = [];
  const stageOfKey = new Map<string, number>();
  const deletedIn = new Map<number, Set<string>>();
  mutations.forEach((mutation, index) => {
    const key = mutation.type === 'save' ? keyOf(mutation.service) : mutation.key;
    let at = stageOfKey.get(key) ?? 0;
    for (; at < stages.length; at++) {
      if (stages[at]!.type !== mutation.type) continue;
      if (mutation.type === 'delete' && deletedIn.get(at)?.has(key)) continue;
      break;
    }
    if (at === stages.length) stages.push({ type: mutation.type, items: [] });
    stages[at]!.items.push({ index, key, mutation });
    if (mutation.type === 'delete') {
      let keys = deletedIn.get(at);
      if (keys === undefined) deletedIn.set(at, (keys = new Set()));
      keys.add(key);
    }
    stageOfKey.set(key, at);
  });
  return stages;
}
