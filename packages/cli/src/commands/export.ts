import { once } from 'node:events';
import { open as openFile, rename, rm } from 'node:fs/promises';
import { keyOf } from '@governance/core';
import { CliError, EXIT_CODES, InterruptedError, type ExitCode } from '../errors';
import { headerLine, podLine } from '../ndjson';
import { createProgress } from '../progress';
import { open, withEndpoints, type CommandContext } from './context';
import { compareKeys } from './migrate-plan';
import { count } from './verify';

/** Options of `governance export`. */
export interface ExportOptions {
  from: string;
  /** File to write; stdout when missing or `-`. */
  out?: string | undefined;
  token?: string | undefined;
}

/** Lines written per chunk (and per progress step). */
const CHUNK = 1000;

/**
 * Writes every pod of a store or manager as NDJSON: a header line, then one pod per line in key
 * order (snake_case wire form). A file is written as `<file>.partial` and renamed when complete,
 * so an interrupted export never looks finished.
 */
export async function exportRegistry(o: ExportOptions, ctx: CommandContext): Promise<ExitCode> {
  return withEndpoints([open(ctx, o.from, '--from', o.token)] as const, async (source) => {
    const pods = await source.readAll(ctx.signal);
    pods.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
    const toFile = o.out !== undefined && o.out !== '-';
    const partial = `${o.out}.partial`;
    const file = toFile ? await openFile(partial, 'w').catch((error: unknown) => fail(`cannot create ${partial}`, error)) : undefined;
    const sink: NodeJS.WritableStream = file ? file.createWriteStream({ encoding: 'utf8' }) : ctx.out.io.stdout;
    let broken: unknown;
    const onError = (error: unknown): void => {
      broken ??= error;
    };
    sink.on('error', onError);
    const write = async (text: string): Promise<void> => {
      if (broken !== undefined) fail(`cannot write ${toFile ? partial : 'to stdout'}`, broken);
      if (!sink.write(text)) await once(sink, 'drain');
    };
    const progress = createProgress(ctx.out.io.stderr, 'export', ctx.progress);
    let completed = false;
    progress.start(pods.length);
    try {
      await write(`${headerLine(source.label, pods.length, new Date())}\n`);
      for (let at = 0; at < pods.length; at += CHUNK) {
        if (ctx.signal?.aborted) throw new InterruptedError(`[cli] export interrupted; ${toFile ? `${partial} is incomplete and was removed` : 'the output is incomplete'}`);
        const chunk = pods.slice(at, at + CHUNK);
        await write(`${chunk.map(podLine).join('\n')}\n`);
        progress.advance(chunk.length);
      }
      completed = true;
    } finally {
      progress.finish(completed);
      if (file) {
        await new Promise<void>((resolve) => sink.end(resolve));
        if (completed && broken === undefined) await rename(partial, o.out!);
        else await rm(partial, { force: true });
      }
      sink.off('error', onError);
    }
    ctx.out.note(`export: wrote ${count(pods.length)} pods from ${source.label} to ${toFile ? o.out : 'stdout'}`);
    return EXIT_CODES.ok;
  });
}

function fail(what: string, error: unknown): never {
  throw new CliError(`[cli] export: ${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
