import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = fileURLToPath(new URL('../demo.mjs', import.meta.url));
const BUILT = [
  'packages/core/dist/index.js',
  'packages/core/dist/transport/express.js',
  'packages/store-memory/dist/index.js',
  'packages/client/dist/index.js',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the demo; `onOutput` sees stdout so far and may signal the child. */
function runDemo(args: string[] = [], onOutput?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      onOutput?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Index of the first line matching `pattern`, failing with the whole output when none does. */
function lineIndex(lines: string[], pattern: RegExp, from = 0): number {
  const index = lines.findIndex((line, i) => i >= from && pattern.test(line));
  if (index < 0) throw new Error(`no line after line ${from} matches ${pattern}; output:\n${lines.join('\n')}`);
  return index;
}

describe('the one-command demo', () => {
  let run: Run;
  let lines: string[];

  beforeAll(async () => {
    const missing = BUILT.filter((file) => !existsSync(`${ROOT}${file}`));
    if (missing.length > 0) {
      throw new Error(
        `the demo runs the BUILT packages and ${missing.join(', ')} is missing: run the build first ` +
          '(npx pnpm@10.34.9 -r --filter "./packages/**" run build)',
      );
    }
    run = await runDemo();
    lines = run.stdout.split('\n');
  }, 70_000);

  it('exits 0 by itself with nothing on stderr', () => {
    expect(run.stderr, run.stdout).toBe('');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/demo finished in \d+\.\d{3}s\n$/);
  });

  it('prints no ANSI colours when stdout is not a terminal', () => {
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('narrates every line of the timeline with elapsed time and who', () => {
    const timed = lines.filter((line) => /^\s+\d+\.\d{3}s {2}/.test(line));
    expect(timed.length).toBeGreaterThan(15);
    for (const line of timed) expect(line).toMatch(/^\s+\d+\.\d{3}s {2}(manager|http-gw|diam-gw|eir)\s+\S/);
  });

  it('registers the three pods and tells the subscribers', () => {
    for (const pod of ['http-gw/http-gw-pod-1', 'diam-gw/diam-gw-pod-1', 'eir/eir-pod-1']) {
      lineIndex(lines, new RegExp(`manager\\s+registered ${pod} \\(created\\)`));
    }
    lineIndex(lines, /http-gw\s+<- register\s+group diam-gw\s+rev \d+: diam-gw-pod-1=unknown/);
    lineIndex(lines, /http-gw\s+<- register\s+group eir\s+rev \d+: eir-pod-1=unknown/);
    lineIndex(lines, /diam-gw\s+<- (register|reconcile)\s+group eir\s+rev \d+: /);
    lineIndex(lines, /http-gw\s+knows diam-gw: diam-gw-pod-1=healthy; eir: eir-pod-1=healthy/);
    lineIndex(lines, /diam-gw\s+knows eir: eir-pod-1=healthy/);
  });

  it('shows eir failing its health check: an update to both subscribers with eir unhealthy', () => {
    const failing = lineIndex(lines, /eir\s+GET \/health now answers 503/);
    const marked = lineIndex(lines, /manager\s+health check: eir\/eir-pod-1 healthy -> unhealthy/, failing);
    lineIndex(lines, /http-gw\s+<- update\s+group eir\s+rev \d+: eir-pod-1=unhealthy/, marked);
    lineIndex(lines, /diam-gw\s+<- update\s+group eir\s+rev \d+: eir-pod-1=unhealthy/, marked);
    lineIndex(lines, /http-gw\s+healthy eir endpoints now: 0/, marked);
  });

  it('shows eir recovering', () => {
    const recovering = lineIndex(lines, /eir\s+GET \/health answers 200 again/);
    const marked = lineIndex(lines, /manager\s+health check: eir\/eir-pod-1 unhealthy -> healthy/, recovering);
    lineIndex(lines, /http-gw\s+<- update\s+group eir\s+rev \d+: eir-pod-1=healthy/, marked);
    lineIndex(lines, /diam-gw\s+<- update\s+group eir\s+rev \d+: eir-pod-1=healthy/, marked);
  });

  it('shows http-gw unregistering', () => {
    const step = lineIndex(lines, /^-- 6\. http-gw unregisters/);
    lineIndex(lines, /manager\s+unregistered http-gw\/http-gw-pod-1/, step);
  });

  it('ends with the service table: eir and diam-gw healthy, http-gw gone', () => {
    const header = lineIndex(lines, /^SERVICE\s+POD\s+STATUS\s+PROVIDERS$/);
    const table = lines.slice(header + 1, header + 3);
    expect(table[0]).toMatch(/^diam-gw\s+diam-gw-pod-1\s+healthy\s+tcp 127\.0\.0\.1:\d+$/);
    expect(table[1]).toMatch(/^eir\s+eir-pod-1\s+healthy\s+http 127\.0\.0\.1:\d+, tcp 127\.0\.0\.1:\d+$/);
    expect(lines[header + 3]).toBe('2 pod(s) registered');
  });

  it('prints the revision of each notification increasing per receiver and group', () => {
    const last = new Map<string, bigint>();
    for (const line of lines) {
      const match = /(http-gw|diam-gw)\s+<- \w+\s+group (\S+)\s+rev (\d+):/.exec(line);
      if (!match) continue;
      const key = `${match[1]} ${match[2]}`;
      const revision = BigInt(match[3]!);
      const previous = last.get(key);
      if (previous !== undefined) expect(revision > previous, line).toBe(true);
      last.set(key, revision);
    }
    expect(last.size).toBe(3);
  });
});

describe('the demo with --keep-open', () => {
  it('prints the status page URL, keeps the page up after the story, and stops cleanly on SIGINT', async () => {
    let checked: Promise<{ page: number; metrics: string }> | undefined;
    const run = await runDemo(['--keep-open'], (stdout, child) => {
      const url = /Status page: (http:\/\/\S+\/ui)\n/.exec(stdout)?.[1];
      if (url === undefined || checked !== undefined) return;
      checked = (async () => {
        const page = (await fetch(url)).status;
        const metrics = await (await fetch(url.replace(/\/ui$/, '/metrics'))).text();
        child.kill('SIGINT');
        return { page, metrics };
      })();
    });
    expect(run.stderr, run.stdout).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/manager\s+status page: http:\/\/127\.0\.0\.1:\d+\/ui \(live\)/);
    const seen = await checked!;
    expect(seen.page).toBe(200);
    expect(seen.metrics).toContain('governance_pods{service="eir",status="healthy"} 1');
    expect(run.stdout).toMatch(/stopping\n/);
  }, 70_000);

  it('refuses an unknown argument naming it', async () => {
    const run = await runDemo(['--keep-opne']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('demo: unknown argument --keep-opne; the only option is --keep-open\n');
  });
});
