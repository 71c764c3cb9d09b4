/**
 * The CLI's failures and its exit codes. Every message starts with `[cli]` (or the package that
 * raised it) and says what to do; the top level prints it once, with passwords masked.
 */

/** Exit codes of the `governance` command. */
export const EXIT_CODES = Object.freeze({
  /** Everything asked was done (and verified, where there is a verify step). */
  ok: 0,
  /** Something failed: a store, a manager, a bad input line, a verify difference. */
  failure: 1,
  /** The command line itself is wrong: unknown option, missing value, unsupported URL. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM after the batch in flight; re-running resumes. */
  interrupted: 130,
} as const);

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** A failure the CLI reports as one message and an exit code (1 unless said otherwise). */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, options?: { exitCode?: ExitCode; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options?.exitCode ?? EXIT_CODES.failure;
  }
}

/** The command line is wrong (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_CODES.usage });
  }
}

/** The run was interrupted by a signal (exit code 130). */
export class InterruptedError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_CODES.interrupted });
  }
}

/**
 * The text of an error and of its causes (`a: b: c`), without repeating a cause whose message
 * is already part of its parent's.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    if (text !== '' && !parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}
