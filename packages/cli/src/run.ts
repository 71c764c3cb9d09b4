import { CommanderError } from 'commander';
import type { ModuleLoader } from './endpoints/open-endpoint';
import { CliError, EXIT_CODES, describeError, type ExitCode } from './errors';
import { SecretMasker } from './mask';
import { Output, type CliIo } from './output';
import { buildProgram } from './program';
import { version } from '../package.json';

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Streams and environment (default: the process's). */
  io?: Partial<CliIo>;
  /** Abort to stop the running command after the batch in flight (the `governance` binary wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  /** @internal Loads store packages; tests use it to simulate a missing driver. */
  load?: ModuleLoader;
}

/**
 * Runs the `governance` command line with `args` (without `node` and the script) and resolves
 * with its exit code: 0 ok, 1 failure, 2 usage, 130 interrupted. Never throws; everything it
 * prints has passwords masked.
 */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<ExitCode> {
  const io: CliIo = {
    stdout: options.io?.stdout ?? process.stdout,
    stderr: options.io?.stderr ?? process.stderr,
    stdin: options.io?.stdin ?? process.stdin,
    env: options.io?.env ?? process.env,
  };
  const masker = new SecretMasker();
  masker.add(io.env.GOVERNANCE_TOKEN);
  // Secrets given on the command line are masked before anything can echo them.
  for (const [i, arg] of args.entries()) {
    if (/^--(?:from-|to-)?token$/.test(arg)) masker.add(args[i + 1]);
    const inline = /^--(?:from-|to-)?token=(.*)$/.exec(arg);
    if (inline) masker.add(inline[1]);
    masker.addUrl(arg.replace(/^--[a-z-]+=/, ''));
  }
  const out = new Output(io, masker);
  const result: { code: ExitCode } = { code: EXIT_CODES.ok };
  const program = buildProgram({ out, signal: options.signal, load: options.load }, result, version);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    if (error instanceof CliError) {
      out.note(error.message.startsWith('[') ? error.message : `[cli] ${error.message}`);
      if (error.cause !== undefined && !error.message.includes(describeError(error.cause))) out.note(`  cause: ${describeError(error.cause)}`);
      return error.exitCode;
    }
    if (options.signal?.aborted) {
      out.note('[cli] interrupted; what was written before is durable: run the same command again to finish');
      return EXIT_CODES.interrupted;
    }
    out.note(describeError(error).startsWith('[') ? describeError(error) : `[cli] ${describeError(error)}`);
    return EXIT_CODES.failure;
  }
}
