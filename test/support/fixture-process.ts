import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a TypeScript fixture in its own Node process (`node --import tsx`, from the repository
 * root) and resolves its exit code and combined stdout/stderr — or `hung` when it was still
 * running after `hangAfterMs` and had to be killed (these fixtures test that a process exits).
 */
export function runFixture(
  fixture: string,
  options: { args?: readonly string[]; env?: Record<string, string>; hangAfterMs?: number } = {},
): Promise<{ code: number | 'hung'; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...(options.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, options.hangAfterMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: hung ? 'hung' : (code ?? -1), output });
    });
  });
}
