import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerLine, podLine } from '../src/ndjson';
import { scratchPostgres, type ScratchDatabase } from '../../../test/support/databases';
import { postgresSkip } from '../../store-postgres/test/postgres-test-env';
import { CLI_TESTS, BIN, childEnv, ensureBuiltCli, runCli, show } from './support/cli-process';
import { makePods } from './support/pods';
import { scratchUrl } from './support/scratch-urls';

const skip = await postgresSkip();
const ESC = '\u001b[';

/** Runs a shell command line in a pseudo-terminal (`script` from util-linux) and returns what the terminal showed. */
async function inPty(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)('script', ['-qfec', command, '/dev/null'], { env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, output: failed.stdout ?? '' };
  }
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

describe.skipIf(skip !== undefined)('progress display of the real binary', CLI_TESTS, () => {
  let dir: string;
  let file: string;
  let pg: ScratchDatabase;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'governance-cli-test-'));
    file = join(dir, 'pods.ndjson');
    const pods = makePods(2_000);
    writeFileSync(file, `${[headerLine('test', pods.length, new Date()), ...pods.map(podLine)].join('\n')}\n`);
    [pg] = await Promise.all([scratchPostgres(), ensureBuiltCli()]);
  }, 240_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pg?.drop();
  });

  it('prints plain lines, one per 10 % step, when stderr is not a terminal', async () => {
    const run = await runCli(['import', '--to', scratchUrl(pg), '--in', file, '--batch-size', '100']);
    expect(run.code, show(run)).toBe(0);
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('import: '));
    expect(lines[0]).toBe('import: 0/2,000 pods (0%)');
    for (let step = 1; step < 10; step++) {
      expect(lines[step]).toMatch(new RegExp(`^import: ${(step * 200).toLocaleString('en-US')}/2,000 pods \\(${step * 10}%\\), [\\d,]+ pods/s$`));
    }
    expect(lines[10]).toMatch(/^import: 2,000\/2,000 pods \(100%\) in [\d.]+ s, [\d,]+ pods\/s$/);
    expect(lines).toHaveLength(11);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain(ESC);
  });

  it('draws a bar redrawn in place in a pseudo-terminal, and colours statuses there', async () => {
    const env = childEnv({ NO_COLOR: undefined });
    const command = [process.execPath, BIN, 'import', '--to', scratchUrl(pg), '--in', file, '--batch-size', '100'].map(quote).join(' ');
    const run = await inPty(command, env);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('\r');
    expect(run.output).toContain(ESC);
    expect(run.output).toMatch(/import \[[\u2588\u2591]{30}\] 100% \| 2000\/2000 pods/);
    expect(run.output).not.toMatch(/import: [\d,]+\/2,000 pods \(\d+%\)/);

    const table = await inPty([process.execPath, BIN, 'services', '--manager', scratchUrl(pg)].map(quote).join(' '), env);
    expect(table.code, table.output).toBe(0);
    expect(table.output).toContain(`${ESC}32mhealthy`);
    expect(table.output).toContain(`${ESC}31munhealthy`);
    const plain = await inPty([process.execPath, BIN, 'services', '--manager', scratchUrl(pg)].map(quote).join(' '), childEnv({ NO_COLOR: '1' }));
    expect(plain.output).not.toContain(`${ESC}32m`);
  });
});
