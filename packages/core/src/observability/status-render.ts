import type { ServiceInfo, ServiceStatus } from '../model';
import type { ManagerStats } from '../manager/manager';
import type { RecentEvent, SubscriberHealth } from './event-log';
import { clusterOf } from './manager-view';

/** Everything one rendering of the status page shows. */
export interface StatusSnapshot {
  title: string;
  now: Date;
  stats: ManagerStats;
  groups: Map<string, ServiceInfo[]>;
  events: readonly RecentEvent[];
  subscribers: readonly SubscriberHealth[];
  maxPods: number;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STATUS_RANK: Record<ServiceStatus, number> = { unhealthy: 0, unknown: 1, healthy: 2 };

/** The whole page; `base` is the relative URL prefix of the page's assets (`ui/` or ``). */
export function renderPage(snapshot: StatusSnapshot, base: string, refreshMs: number): string {
  const title = escapeHtml(snapshot.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}app.css">
<script src="${base}app.js" defer></script>
<noscript><meta http-equiv="refresh" content="${Math.max(5, Math.round(refreshMs / 1000) * 5)}"></noscript>
</head>
<body>
<a class="skip" href="#services">Skip to services</a>
<header>
<h1>${title}</h1>
<p class="live-bar"><button type="button" id="live-toggle" hidden>Pause live updates</button>
<span id="live-status">Rendered at <time datetime="${snapshot.now.toISOString()}">${clock(snapshot.now)}</time></span></p>
<p id="live-announce" class="visually-hidden" role="status" aria-live="polite"></p>
</header>
<main id="live" data-src="${base}live" data-refresh-ms="${refreshMs}">
${renderLive(snapshot)}
</main>
<footer><p>Governance registry · <a href="${base === '' ? '../' : ''}metrics">metrics</a> (when mounted) · <a href="${base === '' ? '../' : ''}services">services JSON</a></p></footer>
</body>
</html>
`;
}

/** The live part of the page (what `ui/live` answers and the script swaps in). */
export function renderLive(s: StatusSnapshot): string {
  const pods = s.stats.pods;
  const summary = `${pods.total} pods: ${pods.healthy} healthy, ${pods.unhealthy} unhealthy, ${pods.unknown} unknown`;
  return [
    `<section aria-labelledby="h-summary" id="summary" data-summary="${escapeHtml(summary)}">`,
    `<h2 id="h-summary">Summary</h2>`,
    `<dl class="cards">`,
    card('Pods', pods.total),
    card('Healthy', pods.healthy, 'healthy'),
    card('Unhealthy', pods.unhealthy, pods.unhealthy > 0 ? 'unhealthy' : undefined),
    card('Unknown', pods.unknown),
    card('Write queue', `${s.stats.queueDepth} / ${s.stats.queueCapacity}`),
    card('Deliveries pending', s.stats.deliveries.pending + s.stats.deliveries.inFlight),
    card('Delivered', s.stats.deliveries.delivered),
    card('Failed deliveries', s.stats.deliveries.failed, s.stats.deliveries.failed > 0 ? 'unhealthy' : undefined),
    card('Superseded', s.stats.deliveries.superseded),
    card('Probes running', s.stats.probes.inFlight),
    `</dl>`,
    `</section>`,
    renderCluster(s),
    renderServices(s),
    renderPods(s),
    renderSubscribers(s),
    renderEvents(s),
  ].join('\n');
}

function card(label: string, value: unknown, tone?: 'healthy' | 'unhealthy'): string {
  return `<div class="card${tone ? ` ${tone}` : ''}"><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`;
}

function renderCluster(s: StatusSnapshot): string {
  const cluster = clusterOf(s.stats);
  if (cluster === undefined) return '';
  const members = cluster.members
    .map((m) => `<li>${escapeHtml(m)}${m === cluster.memberId ? ' <strong>(this manager)</strong>' : ''}</li>`)
    .join('');
  return [
    `<section aria-labelledby="h-cluster"><h2 id="h-cluster">Cluster</h2>`,
    `<dl class="cards">`,
    card('This member', cluster.memberId ?? 'none (no valid lease)'),
    card('Lease', cluster.valid ? 'valid' : 'lapsed', cluster.valid ? 'healthy' : 'unhealthy'),
    card('Members', cluster.members.length),
    card('Owned pods', `${cluster.ownedPods} (${Math.round(cluster.ownedShare * 100)} %)`),
    card('Owned subscribers', cluster.ownedSubscribers),
    card('Applied sequence', cluster.appliedSeq),
    card('Reloads', cluster.reloads),
    `</dl>`,
    `<h3>Members</h3><ul class="members">${members}</ul>`,
    `</section>`,
  ].join('\n');
}

function table(id: string, caption: string, head: string[], rows: string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const ths = head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('');
  return (
    `<div class="scroll" role="region" aria-labelledby="${id}" tabindex="0">` +
    `<table><caption class="visually-hidden">${escapeHtml(caption)}</caption>` +
    `<thead><tr>${ths}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`
  );
}

function renderServices(s: StatusSnapshot): string {
  const names = [...s.groups.keys()].sort();
  const rows = names.map((name) => {
    const pods = s.groups.get(name)!;
    const count = { healthy: 0, unhealthy: 0, unknown: 0 };
    const subscribes = new Set<string>();
    for (const pod of pods) {
      count[pod.status]++;
      for (const group of pod.subscriptions) subscribes.add(group);
    }
    return (
      `<tr data-service="${escapeHtml(name)}"><th scope="row">${escapeHtml(name)}</th><td>${pods.length}</td>` +
      `<td>${count.healthy}</td><td>${statusCell(count.unhealthy > 0 ? 'unhealthy' : undefined, count.unhealthy)}</td>` +
      `<td>${count.unknown}</td><td>${escapeHtml([...subscribes].sort().join(', ') || '—')}</td></tr>`
    );
  });
  return (
    `<section aria-labelledby="services"><h2 id="services">Services</h2>\n` +
    table('services', 'Services and their pods by status', ['Service', 'Pods', 'Healthy', 'Unhealthy', 'Unknown', 'Subscribes to'], rows, 'No service is registered.') +
    `</section>`
  );
}

function renderPods(s: StatusSnapshot): string {
  const all: ServiceInfo[] = [];
  for (const pods of s.groups.values()) all.push(...pods);
  let shown = all;
  if (all.length > s.maxPods) {
    shown = all.slice().sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status]).slice(0, s.maxPods);
  }
  shown = shown.slice().sort((a, b) => compare(a.serviceName, b.serviceName) || compare(a.podName, b.podName));
  const rows = shown.map((pod) => {
    const providers = pod.providers.map((p) => `${p.protocol} ${p.ip}:${p.port}`).join(', ');
    return (
      `<tr data-pod="${escapeHtml(`${pod.serviceName}:${pod.podName}`)}"><td>${escapeHtml(pod.serviceName)}</td>` +
      `<th scope="row">${escapeHtml(pod.podName)}</th><td>${statusCell(pod.status, pod.status)}</td>` +
      `<td>${pod.status === 'unknown' ? 'not yet' : ago(pod.lastHealthCheck, s.now)}</td><td>${escapeHtml(providers || '—')}</td>` +
      `<td>${escapeHtml(pod.subscriptions.join(', ') || '—')}</td></tr>`
    );
  });
  const more =
    all.length > shown.length
      ? `<p class="note">Showing ${shown.length} of ${all.length} pods (the unhealthy and unknown first); <code>GET /services</code> lists all.</p>`
      : '';
  return (
    `<section aria-labelledby="h-pods"><h2 id="h-pods">Pods</h2>\n` +
    table('h-pods', 'Pods with status, last health check, providers and subscriptions', ['Service', 'Pod', 'Status', 'Last check', 'Providers', 'Subscriptions'], rows, 'No pod is registered.') +
    more +
    `</section>`
  );
}

function renderSubscribers(s: StatusSnapshot): string {
  const rows = s.subscribers.map(
    (d) =>
      `<tr data-subscriber="${escapeHtml(d.subscriberKey)}"><th scope="row">${escapeHtml(d.subscriberKey)}</th>` +
      `<td>${statusCell(d.lastOk ? 'healthy' : 'unhealthy', d.lastOk ? 'delivered' : 'failed')}</td>` +
      `<td>${d.delivered}</td><td>${d.failed}</td><td>${Math.round(d.lastDurationMs)} ms</td>` +
      `<td>${ago(d.lastAt, s.now)}</td><td class="error">${escapeHtml(d.lastError ?? '—')}</td></tr>`,
  );
  return (
    `<section aria-labelledby="h-deliveries"><h2 id="h-deliveries">Delivery health per subscriber</h2>\n` +
    table('h-deliveries', 'Notification deliveries per subscriber', ['Subscriber', 'Last delivery', 'Delivered', 'Failed', 'Last latency', 'Last attempt', 'Last error'], rows, 'No notification was delivered yet.') +
    `</section>`
  );
}

function renderEvents(s: StatusSnapshot): string {
  const items = s.events.map(
    (e) =>
      `<li class="${e.bad ? 'bad' : 'ok'}"><time datetime="${e.at.toISOString()}">${clock(e.at)}</time> ` +
      `<span class="kind">${escapeHtml(e.kind)}</span> ${escapeHtml(e.text)}</li>`,
  );
  return (
    `<section aria-labelledby="h-events"><h2 id="h-events">Recent events</h2>\n` +
    (items.length === 0 ? '<p class="empty">Nothing happened since the page started listening.</p>' : `<ol class="events">\n${items.join('\n')}\n</ol>`) +
    `</section>`
  );
}

function statusCell(tone: ServiceStatus | undefined, text: unknown): string {
  if (tone === undefined) return escapeHtml(text);
  return `<span class="status ${tone}">${escapeHtml(text)}</span>`;
}

function ago(at: Date, now: Date): string {
  if (at.getTime() <= 0) return 'never';
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  const text = seconds < 90 ? `${seconds} s ago` : seconds < 5400 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
  return `<time datetime="${at.toISOString()}" title="${at.toISOString()}">${text}</time>`;
}

function clock(at: Date): string {
  return at.toISOString().slice(11, 19) + ' UTC';
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
