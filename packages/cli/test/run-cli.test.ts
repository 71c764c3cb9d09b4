import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, runCli, type CliIo } from '../src/index';
import { TOKEN, startMemoryManager } from './support/memory-manager';
import { makePods } from './support/pods';

function captureIo(env: Record<string, string | undefined> = {}): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { io: { stdout, stderr, stdin: new PassThrough(), env }, out: () => out, err: () => err };
}

describe('runCli from code', () => {
  it('uses the given streams and environment, and resolves with the exit code instead of throwing', async () => {
    const manager = await startMemoryManager();
    try {
      await manager.register(makePods(3, 'code'));
      const ok = captureIo({ GOVERNANCE_TOKEN: TOKEN });
      expect(await runCli(['services', '--manager', manager.url, '--json'], { io: ok.io })).toBe(EXIT_CODES.ok);
      expect(JSON.parse(ok.out()).count).toBe(3);

      const usage = captureIo();
      expect(await runCli(['export', '--from', 'redis://cache'], { io: usage.io })).toBe(EXIT_CODES.usage);
      expect(usage.err()).toContain('[cli] --from must be');

      const aborted = captureIo({ GOVERNANCE_TOKEN: TOKEN });
      const controller = new AbortController();
      controller.abort();
      expect(await runCli(['export', '--from', manager.url], { io: aborted.io, signal: controller.signal })).toBe(EXIT_CODES.interrupted);
      expect(aborted.err()).toContain('interrupted');
    } finally {
      await manager.close();
    }
  });
});
