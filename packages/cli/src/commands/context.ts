import type { Endpoint } from '../endpoints/endpoint';
import { openEndpoint, parseEndpointUrl, type ModuleLoader } from '../endpoints/open-endpoint';
import type { Output } from '../output';
import type { ProgressMode } from '../progress';

/** What every command gets from the program. */
export interface CommandContext {
  out: Output;
  /** Aborted on SIGINT / SIGTERM: commands stop after the batch in flight. */
  signal: AbortSignal | undefined;
  progress: ProgressMode;
  /** Loads store packages (tests may point it elsewhere). */
  load?: ModuleLoader | undefined;
}

/** Checks and opens the endpoint of `option`; `token` is used for manager URLs. */
export async function open(ctx: CommandContext, raw: string, option: string, token: string | undefined): Promise<Endpoint> {
  return openEndpoint(parseEndpointUrl(raw, option), { masker: ctx.out.masker, token, load: ctx.load });
}

/** Runs `fn` with the endpoints open, closing every one of them afterwards (also on failure). */
export async function withEndpoints<const T extends ReadonlyArray<Promise<Endpoint>>, R>(
  endpoints: T,
  fn: (...opened: { -readonly [K in keyof T]: Endpoint }) => Promise<R>,
): Promise<R> {
  const settled = await Promise.allSettled(endpoints);
  const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    return await fn(...(opened as { -readonly [K in keyof T]: Endpoint }));
  } finally {
    await Promise.allSettled(opened.map((e) => e.close()));
  }
}
