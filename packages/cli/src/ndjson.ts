/**
 * The export file: NDJSON, a header line naming the format and its version, then one pod per
 * line in the snake_case wire form of `GET /services`.
 *
 * ```
 * {"format":"governance-registry","version":1,"exported_at":"2026-…Z","source":"postgres://app:***@db/gov","count":2}
 * {"service_name":"eir","pod_name":"eir-1","providers":[…],…,"status":"healthy","last_health_check":"…","registered_at":"…","updated_at":"…"}
 * ```
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ValidationError, formatFieldErrors, toWireService, type ServiceInfo } from '@governance/core';
import { CliError } from './errors';
import { parsePodRecord } from './records';

export const EXPORT_FORMAT = 'governance-registry';
export const EXPORT_VERSION = 1;

/** The first line of an export file. */
export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: number;
  exported_at: string;
  /** Where the pods came from, password masked. */
  source: string;
  /** Pod lines that follow; an importer compares it with what it read, to notice a truncated file. */
  count: number;
}

/** The header line (without newline). */
export function headerLine(source: string, count: number, now: Date): string {
  const header: ExportHeader = { format: EXPORT_FORMAT, version: EXPORT_VERSION, exported_at: now.toISOString(), source, count };
  return JSON.stringify(header);
}

/** One pod line (without newline). */
export function podLine(pod: ServiceInfo): string {
  return JSON.stringify(toWireService(pod));
}

/** What one line of an import file holds. */
export type ParsedLine =
  | { kind: 'blank' }
  | { kind: 'header'; header: ExportHeader }
  | { kind: 'pod'; pod: ServiceInfo }
  | { kind: 'error'; message: string };

/** Lines longer than this are refused without being parsed. */
const MAX_LINE = 1024 * 1024;

/**
 * Parses line `lineNumber` (1-based). A header is accepted only as the first non-blank line
 * (`first`); files without a header are read as pod lines only. Pod lines are validated by
 * {@link parsePodRecord} (the `/register` rules plus status and times).
 */
export function parseLine(text: string, first: boolean, now: Date): ParsedLine {
  if (text.trim() === '') return { kind: 'blank' };
  if (text.length > MAX_LINE) return { kind: 'error', message: `longer than ${MAX_LINE} characters` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: 'error', message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'format' in value) {
    if (!first) return { kind: 'error', message: 'a header line is only allowed as the first line' };
    return readHeader(value as Record<string, unknown>);
  }
  try {
    return { kind: 'pod', pod: parsePodRecord(value, now) };
  } catch (error) {
    if (error instanceof ValidationError) return { kind: 'error', message: formatFieldErrors(error.errors).split('\n').join('; ') };
    throw error;
  }
}

function readHeader(value: Record<string, unknown>): ParsedLine {
  if (value.format !== EXPORT_FORMAT) {
    return { kind: 'error', message: `format: must be "${EXPORT_FORMAT}" (got ${JSON.stringify(value.format)?.slice(0, 60)})` };
  }
  if (value.version !== EXPORT_VERSION) {
    return {
      kind: 'error',
      message: `version: this CLI reads format version ${EXPORT_VERSION}, the file has ${JSON.stringify(value.version)?.slice(0, 20)}; use a @governance/cli that matches the one that wrote it`,
    };
  }
  const count = value.count;
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) {
    return { kind: 'error', message: 'count: must be a whole number ≥ 0 (the number of pod lines that follow)' };
  }
  return { kind: 'header', header: value as unknown as ExportHeader };
}

/**
 * Lines of a file (`path`) or of a stream, read one at a time with backpressure (readline pauses
 * the input while the consumer is busy). A read error (a missing file, a broken pipe) ends the
 * lines and is thrown as a `CliError` once they are consumed.
 */
export async function* readLines(source: string | NodeJS.ReadableStream): AsyncGenerator<string> {
  const input: NodeJS.ReadableStream = typeof source === 'string' ? createReadStream(source, { encoding: 'utf8' }) : source;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let failure: Error | undefined;
  const onError = (error: Error): void => {
    failure ??= error;
    lines.close();
  };
  input.on('error', onError);
  try {
    yield* lines;
  } finally {
    lines.close();
    input.off('error', onError);
    if (typeof source === 'string') (input as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
  if (failure !== undefined) {
    throw new CliError(`[cli] cannot read ${typeof source === 'string' ? source : 'the input'}: ${failure.message}`, { cause: failure });
  }
}
