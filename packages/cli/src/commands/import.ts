import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriter } from '../batch-writer';
import type { Endpoint } from '../endpoints/endpoint';
import { CliError, EXIT_CODES, InterruptedError, type ExitCode } from '../errors';
import { parseLine, readLines, type ParsedLine } from '../ndjson';
import { createProgress } from '../progress';
import { open, withEndpoints, type CommandContext } from './context';
import { count } from './verify';

/** Options of `governance import`. */
export interface ImportOptions {
  to: string;
  /** NDJSON file to read; stdin when missing or `-`. */
  in?: string | undefined;
  continueOnError: boolean;
  batchSize: number;
  token?: string | undefined;
}

/** Bad lines printed one by one; after that only counted. */
const SHOWN_ERRORS = 50;

interface Line {
  number: number;
  text: string;
  parsed: ParsedLine;
}

/** Parses lines one at a time, numbering them from 1; a header is allowed on the first non-blank line. */
async function* scan(lines: AsyncIterable<string>, now: Date, signal: AbortSignal | undefined): AsyncGenerator<Line> {
  let number = 0;
  let first = true;
  for await (const text of lines) {
    number++;
    if (signal?.aborted) throw new InterruptedError('[cli] import interrupted while reading');
    const parsed = parseLine(text, first, now);
    if (parsed.kind !== 'blank') first = false;
    yield { number, text, parsed };
  }
}

/** Counts what the lines held and reports the bad ones (`file:line: problem`). */
class Tally {
  pods = 0;
  bad = 0;
  declared: number | undefined;

  constructor(
    private readonly ctx: CommandContext,
    private readonly name: string,
  ) {}

  see(line: Line): void {
    const { parsed } = line;
    if (parsed.kind === 'pod') this.pods++;
    else if (parsed.kind === 'header') this.declared = parsed.header.count;
    else if (parsed.kind === 'error') {
      this.bad++;
      if (this.bad <= SHOWN_ERRORS) this.ctx.out.note(`${this.name}:${line.number}: ${parsed.message}`);
      else if (this.bad === SHOWN_ERRORS + 1) this.ctx.out.note(`… more bad lines follow; only the first ${SHOWN_ERRORS} are shown`);
    }
  }

  /** The header's count against the pod lines read (bad lines included, as they were meant to be pods). */
  countProblem(): string | undefined {
    if (this.declared === undefined || this.declared === this.pods + this.bad) return undefined;
    return `the header announces ${count(this.declared)} pods but the file holds ${count(this.pods + this.bad)} pod lines: is it truncated?`;
  }
}

/**
 * Reads NDJSON (an export file, or lines of `/register` bodies) and writes every pod to a store
 * or manager, validating each line by the `/register` rules (plus status and times when present).
 *
 * - Default: validates the whole input first (stdin is spooled to a temporary file on the way)
 *   and writes nothing at all when any line is bad; then reads it again and writes in batches.
 * - `--continue-on-error`: one pass; bad lines are reported and skipped, good ones written; the
 *   exit code is 1 when any line was skipped.
 *
 * Memory stays flat whatever the size: lines are read one at a time and written in batches.
 */
export async function importRegistry(o: ImportOptions, ctx: CommandContext): Promise<ExitCode> {
  const fromStdin = o.in === undefined || o.in === '-';
  const name = fromStdin ? 'stdin' : o.in!;
  if (!fromStdin) {
    await access(name).catch((error: unknown) => {
      throw new CliError(`[cli] import: cannot read ${name}: ${(error as Error).message}`, { cause: error });
    });
  }
  return withEndpoints([open(ctx, o.to, '--to', o.token)] as const, async (target) => {
    const now = new Date();
    const tally = new Tally(ctx, name);
    const input = (): AsyncIterable<string> => readLines(fromStdin ? ctx.out.io.stdin : name);
    if (o.continueOnError) {
      const writer = startWriter(target, o, ctx, undefined);
      await writeGoodLines(scan(input(), now, ctx.signal), tally, writer);
      return finish(ctx, target, name, tally, writer);
    }
    const spool = fromStdin ? await Spool.create() : undefined;
    try {
      for await (const line of scan(input(), now, ctx.signal)) {
        await spool?.write(line.text);
        tally.see(line);
      }
      await spool?.close();
      const problem = tally.countProblem();
      if (problem !== undefined) ctx.out.note(`${name}: ${problem}`);
      if (tally.bad > 0 || problem !== undefined) {
        throw new CliError(
          `[cli] import: ${count(tally.bad)} bad lines in ${name}${problem ? ' and a pod count that does not match its header' : ''}; nothing was written. ` +
            'Fix the lines listed above, or pass --continue-on-error to import only the good lines',
        );
      }
      const writer = startWriter(target, o, ctx, tally.pods);
      await writeGoodLines(scan(readLines(spool?.path ?? name), now, ctx.signal), new Tally(ctx, name), writer);
      return finish(ctx, target, name, tally, writer);
    } finally {
      await spool?.remove();
    }
  });
}

function startWriter(target: Endpoint, o: ImportOptions, ctx: CommandContext, total: number | undefined): BatchWriter {
  const progress = createProgress(ctx.out.io.stderr, 'import', ctx.progress);
  progress.start(total);
  return new BatchWriter(target, o.batchSize, progress, ctx.signal, 'import');
}

async function writeGoodLines(lines: AsyncIterable<Line>, tally: Tally, writer: BatchWriter): Promise<void> {
  let completed = false;
  try {
    for await (const line of lines) {
      tally.see(line);
      if (line.parsed.kind === 'pod') await writer.add(line.parsed.pod);
    }
    await writer.flush();
    completed = true;
  } finally {
    writer.finish(completed);
  }
}

function finish(ctx: CommandContext, target: Endpoint, name: string, tally: Tally, writer: BatchWriter): ExitCode {
  ctx.out.line(`import: wrote ${count(writer.written)} pods from ${name} to ${target.label}`);
  const problem = tally.countProblem();
  if (problem !== undefined) ctx.out.note(`${name}: ${problem}`);
  if (tally.bad === 0 && problem === undefined) return EXIT_CODES.ok;
  ctx.out.note(`import: skipped ${count(tally.bad)} bad lines (listed above); every other line was written`);
  return EXIT_CODES.failure;
}

/** Standard input copied to a temporary file while it is validated, so it can be read a second time. */
class Spool {
  private constructor(
    readonly dir: string,
    readonly path: string,
    readonly stream: NodeJS.WritableStream,
  ) {}

  static async create(): Promise<Spool> {
    const dir = await mkdtemp(join(tmpdir(), 'governance-import-'));
    const path = join(dir, 'stdin.ndjson');
    const stream = createWriteStream(path, { encoding: 'utf8' });
    return new Spool(dir, path, stream);
  }

  async write(text: string): Promise<void> {
    if (!this.stream.write(`${text}\n`)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
