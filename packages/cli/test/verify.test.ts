import { keyOf } from '@governance/core';
import { MemoryStore } from '@governance/store-memory';
import { describe, expect, it } from 'vitest';
import { verifyTransfer } from '../src/commands/verify';
import { StoreEndpoint } from '../src/endpoints/store-endpoint';
import { SecretMasker } from '../src/mask';
import { Output } from '../src/output';
import { makePods, seed } from './support/pods';

function capture(): { out: Output; text: () => string } {
  let text = '';
  const sink = { write: (chunk: string) => (text += chunk) } as unknown as NodeJS.WriteStream;
  return { out: new Output({ stdout: sink, stderr: sink, stdin: process.stdin, env: {} }, new SecretMasker()), text: () => text };
}

describe('verify (two memory stores)', () => {
  it('passes when both sides hold the same pods, whatever their order', async () => {
    const pods = makePods(50);
    const a = new MemoryStore();
    const b = new MemoryStore();
    await seed(a, pods);
    await seed(b, [...pods].reverse());
    const { out, text } = capture();
    expect(await verifyTransfer(new StoreEndpoint(a, 'a'), new StoreEndpoint(b, 'b'), 'full', new Set(), out)).toBe(true);
    expect(text()).toContain('verify: OK');
  });

  it('fails naming the missing and the different pods, on content, status or a millisecond of time', async () => {
    const pods = makePods(50);
    const a = new MemoryStore();
    const b = new MemoryStore();
    await seed(a, pods);
    await seed(b, [
      ...pods.slice(3),
      { ...pods[0]!, status: pods[0]!.status === 'healthy' ? 'unhealthy' : 'healthy' },
      { ...pods[1]!, updatedAt: new Date(pods[1]!.updatedAt.getTime() + 1) },
    ]);
    const { out, text } = capture();
    expect(await verifyTransfer(new StoreEndpoint(a, 'a'), new StoreEndpoint(b, 'b'), 'full', new Set(), out)).toBe(false);
    expect(text()).toContain(`DIFFERENCE: 1 pods missing from the target: ${keyOf(pods[2]!)}`);
    expect(text()).toContain(`DIFFERENCE: 2 pods differ: ${[keyOf(pods[0]!), keyOf(pods[1]!)].sort().join(', ')}`);
    expect(text()).toContain('verify: FAILED');
    // Status and times are not compared when a manager is involved.
    const { out: out2 } = capture();
    await seed(b, [pods[2]!]);
    expect(await verifyTransfer(new StoreEndpoint(a, 'a'), new StoreEndpoint(b, 'b'), 'registration', new Set(), out2)).toBe(true);
  });
});
