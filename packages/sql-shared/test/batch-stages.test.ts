import type { StoreMutation } from '@governance/core';
import { makeService } from '@governance/core/testing';
import { describe, expect, it } from 'vitest';
import { planStages } from '../src/batch-stages';

const save = (podName: string): StoreMutation => ({ type: 'save', service: makeService({ podName }) });
const del = (podName: string): StoreMutation => ({ type: 'delete', key: `http-gw:${podName}` });
const health = (podName: string): StoreMutation => ({ type: 'health', key: `http-gw:${podName}`, status: 'healthy', at: new Date(0) });
const shape = (mutations: StoreMutation[]) =>
  planStages(mutations).map((stage) => `${stage.type}:${stage.items.map((i) => i.index).join(',')}`);

describe('planStages', () => {
  it('groups interleaved changes of different pods into one stage per kind', () => {
    expect(shape([save('a'), health('b'), save('c'), health('a'), save('d'), health('c')])).toEqual(['save:0,2,4', 'health:1,3,5']);
  });

  it("keeps each pod's own changes in order", () => {
    expect(shape([save('a'), del('a'), save('a'), health('a')])).toEqual(['save:0', 'delete:1', 'save:2', 'health:3']);
  });

  it('never deletes one pod twice in the same stage', () => {
    expect(shape([del('a'), del('a'), del('b')])).toEqual(['delete:0,2', 'delete:1']);
  });

  it('lets a later pod join an earlier stage of its kind', () => {
    expect(shape([save('a'), del('a'), save('b'), del('b'), save('c')])).toEqual(['save:0,2,4', 'delete:1,3']);
  });
});
