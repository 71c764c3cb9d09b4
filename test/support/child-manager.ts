import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../reliability/fixtures/manager-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A manager running in a child process (see test/reliability/fixtures/manager-process.ts). */
export class ChildManager {
  readonly child: ChildProcess;
  readonly port: number;
  readonly #stderr: string[];

  private constructor(child: ChildProcess, port: number, stderr: string[]) {
    this.child = child;
    this.port = port;
    this.#stderr = stderr;
  }

  /**
   * Spawns the process and resolves once it prints its port (rejects with its stderr if it dies
   * first). `fixture` is the script to run (default: the reliability tests' manager process).
   */
  static start(env: Record<string, string>, timeoutMs = 30_000, fixture = FIXTURE): Promise<ChildManager> {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 200) stderr.shift();
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`[reliability] the manager process did not start within ${timeoutMs} ms:\n${stderr.join('')}`));
      }, timeoutMs);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /LISTENING (\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(new ChildManager(child, Number(match[1]), stderr));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`[reliability] the manager process exited (${code ?? signal}) before listening:\n${stderr.join('')}`));
      });
    });
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get stderr(): string {
    return this.#stderr.join('');
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await gone;
  }
}
