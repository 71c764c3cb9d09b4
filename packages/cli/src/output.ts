import type { SecretMasker } from './mask';
import type { ProgressStream } from './progress';

/** The streams and environment a run uses (the process's by default; tests may pass others). */
export interface CliIo {
  stdout: NodeJS.WritableStream & ProgressStream;
  stderr: NodeJS.WritableStream & ProgressStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
}

/**
 * Everything a command prints goes through here, masked: its product on stdout (a report, a
 * table, NDJSON events) and warnings or errors on stderr.
 */
export class Output {
  constructor(
    readonly io: CliIo,
    readonly masker: SecretMasker,
  ) {}

  /** One line of the command's product (stdout). */
  line(text: string): void {
    this.io.stdout.write(`${this.masker.mask(text)}\n`);
  }

  /** One line of commentary, a warning or an error (stderr). */
  note(text: string): void {
    this.io.stderr.write(`${this.masker.mask(text)}\n`);
  }
}
