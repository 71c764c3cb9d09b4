import { setTimeout as sleep } from 'node:timers/promises';
import { keyOf, toWireService, type ServiceInfo } from '@governance/core';
import { canonicalPod } from '../checksum';
import type { Endpoint } from '../endpoints/endpoint';
import { EXIT_CODES, type ExitCode } from '../errors';
import { open, withEndpoints, type CommandContext } from './context';
import { colorsWanted, describeProviders, selectPods, statusPainter } from './services';

/** Options of `governance watch`. */
export interface WatchOptions {
  manager: string;
  service?: string | undefined;
  json: boolean;
  /** Polling interval in ms. */
  interval: number;
  token?: string | undefined;
}

/** A change between two views of the registry. */
export interface WatchEvent {
  event: 'present' | 'registered' | 'unregistered' | 'status' | 'updated';
  pod: ServiceInfo;
  /** The status before, for `status` events. */
  previous?: ServiceInfo;
}

/**
 * The views `watch` follows, one per change (or per poll). Today this polls `GET /services`
 * every `intervalMs`; once managers serve a watch stream, replacing this one function switches
 * `watch` to it. A failed poll is reported on `onError` and retried at the next interval.
 */
export async function* registryViews(
  source: Endpoint,
  intervalMs: number,
  signal: AbortSignal | undefined,
  onError: (error: unknown) => void,
): AsyncGenerator<ServiceInfo[]> {
  while (!signal?.aborted) {
    try {
      yield await source.readAll(signal);
    } catch (error) {
      if (signal?.aborted) return;
      onError(error);
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

/** The events that turn view `before` into view `after` (`undefined` before: every pod is `present`). */
export function diffViews(before: Map<string, ServiceInfo> | undefined, after: Map<string, ServiceInfo>): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const [key, pod] of after) {
    const previous = before?.get(key);
    if (before === undefined) events.push({ event: 'present', pod });
    else if (previous === undefined) events.push({ event: 'registered', pod });
    else if (canonicalPod(previous, 'registration') !== canonicalPod(pod, 'registration')) events.push({ event: 'updated', pod, previous });
    else if (previous.status !== pod.status) events.push({ event: 'status', pod, previous });
  }
  if (before !== undefined) {
    for (const [key, pod] of before) if (!after.has(key)) events.push({ event: 'unregistered', pod });
  }
  return events;
}

/** Follows a manager's pods and prints each change as it is seen, until Ctrl-C (exit 0). */
export async function watchServices(o: WatchOptions, ctx: CommandContext): Promise<ExitCode> {
  return withEndpoints([open(ctx, o.manager, '--manager', o.token)] as const, async (source) => {
    const paint = statusPainter(colorsWanted(ctx.out.io.stdout, ctx.out.io.env));
    const print = (e: WatchEvent, at: Date): void => {
      if (o.json) {
        const extra = e.previous && e.event === 'status' ? { previous_status: e.previous.status } : {};
        ctx.out.line(JSON.stringify({ time: at.toISOString(), event: e.event, ...extra, pod: toWireService(e.pod) }));
        return;
      }
      const name = `${e.pod.serviceName}/${e.pod.podName}`;
      const status = paint[e.pod.status](e.pod.status);
      const text = {
        present: `= ${name} ${status} ${describeProviders(e.pod)}`,
        registered: `+ ${name} registered (${status}) ${describeProviders(e.pod)}`,
        unregistered: `- ${name} unregistered`,
        status: `~ ${name} ${e.previous ? paint[e.previous.status](e.previous.status) : '?'} -> ${status}`,
        updated: `~ ${name} re-registered with changes (${status}) ${describeProviders(e.pod)}`,
      }[e.event];
      ctx.out.line(`${at.toISOString()} ${text}`);
    };
    ctx.out.note(`watch: following ${source.label}${o.service ? ` (service ${o.service})` : ''}, polling every ${o.interval} ms; Ctrl-C to stop`);
    let before: Map<string, ServiceInfo> | undefined;
    const onError = (error: unknown): void => ctx.out.note(`watch: ${error instanceof Error ? error.message : String(error)}; retrying`);
    for await (const view of registryViews(source, o.interval, ctx.signal, onError)) {
      const after = new Map(selectPods(view, o.service).map((p) => [keyOf(p), p]));
      const at = new Date();
      for (const event of diffViews(before, after)) print(event, at);
      before = after;
    }
    return EXIT_CODES.ok;
  });
}
