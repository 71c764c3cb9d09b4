import { keyOf, toWireService, type ServiceInfo, type ServiceStatus } from '@governance/core';
import Table from 'cli-table3';
import picocolors from 'picocolors';
import { EXIT_CODES, type ExitCode } from '../errors';
import { open, withEndpoints, type CommandContext } from './context';
import { compareKeys } from './migrate-plan';
import { count } from './verify';

/** Options of `governance services`. */
export interface ServicesOptions {
  manager: string;
  service?: string | undefined;
  json: boolean;
  token?: string | undefined;
}

type Paint = (text: string) => string;

/** Whether colours are wanted on this stream: a terminal, and NO_COLOR not set (FORCE_COLOR forces them). */
export function colorsWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** Status painted green / red / yellow when colours are on. */
export function statusPainter(enabled: boolean): Record<ServiceStatus, Paint> {
  const c = picocolors.createColors(enabled);
  return { healthy: c.green, unhealthy: c.red, unknown: c.yellow };
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ',
};

/** The pods sorted by key, optionally of one service only. */
export function selectPods(pods: readonly ServiceInfo[], service: string | undefined): ServiceInfo[] {
  return pods.filter((p) => service === undefined || p.serviceName === service).sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
}

/** `http://10.0.0.1:8080, tcp://10.0.0.1:3868`. */
export function describeProviders(pod: ServiceInfo): string {
  return pod.providers.map((p) => `${p.protocol}://${p.ip.includes(':') ? `[${p.ip}]` : p.ip}:${p.port}`).join(', ');
}

/** Prints a table of services and pods (status coloured on a terminal), or `{ count, services }` JSON with `--json`. */
export async function listServices(o: ServicesOptions, ctx: CommandContext): Promise<ExitCode> {
  return withEndpoints([open(ctx, o.manager, '--manager', o.token)] as const, async (source) => {
    const pods = selectPods(await source.readAll(ctx.signal), o.service);
    if (o.json) {
      ctx.out.line(JSON.stringify({ count: pods.length, services: pods.map(toWireService) }, null, 2));
      return EXIT_CODES.ok;
    }
    const paint = statusPainter(colorsWanted(ctx.out.io.stdout, ctx.out.io.env));
    const table = new Table({
      head: ['SERVICE', 'POD', 'STATUS', 'PROVIDERS', 'LAST CHECK', 'SUBSCRIBES TO'],
      chars: BORDERLESS,
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    });
    for (const pod of pods) {
      table.push([
        pod.serviceName,
        pod.podName,
        paint[pod.status](pod.status),
        describeProviders(pod),
        pod.lastHealthCheck.toISOString(),
        pod.subscriptions.length > 0 ? pod.subscriptions.join(', ') : '-',
      ]);
    }
    if (pods.length > 0) ctx.out.line(table.toString());
    const byStatus = (s: ServiceStatus): number => pods.filter((p) => p.status === s).length;
    const services = new Set(pods.map((p) => p.serviceName)).size;
    ctx.out.line(
      `${count(services)} services, ${count(pods.length)} pods: ${count(byStatus('healthy'))} healthy, ` +
        `${count(byStatus('unhealthy'))} unhealthy, ${count(byStatus('unknown'))} unknown`,
    );
    return EXIT_CODES.ok;
  });
}
