import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { DiscoveryCache, GovernanceClient } from '@governance/client';
import { TELCO_PODS } from './pods.mjs';

/**
 * Starts one simulated telco pod: an HTTP server answering `GET /health` (200, or 503 while
 * `setHealthy(false)`) and `POST /notify` (the client package's notification handler feeding a
 * DiscoveryCache), a TCP listener for each `tcp` provider, and a registration with the manager.
 *
 * @param {object} options
 * @param {'http-gw'|'diam-gw'|'eir'} options.name which telco pod (see pods.mjs)
 * @param {string} [options.podName] default `<name>-pod-1`
 * @param {string} options.managerUrl e.g. `http://127.0.0.1:8080`
 * @param {number} [options.port] HTTP port; default 0 (a free port)
 * @param {string} [options.host] interface to bind and to advertise; default `127.0.0.1`
 * @param {(payload: import('@governance/client').NotificationPayload) => void} [options.onNotification]
 *   called with every notification the pod accepts
 * @returns {Promise<{ name: string, podName: string, port: number, cache: DiscoveryCache,
 *   client: GovernanceClient, healthy: boolean, setHealthy(healthy: boolean): void,
 *   unregister(): Promise<void>, stop(): Promise<void> }>}
 */
export async function startPod(options) {
  const spec = TELCO_PODS[options.name];
  if (spec === undefined) {
    throw new TypeError(`telco-pods: unknown pod ${JSON.stringify(options.name)}; use one of ${Object.keys(TELCO_PODS).join(', ')}`);
  }
  const host = options.host ?? '127.0.0.1';
  const podName = options.podName ?? spec.podName;
  const client = new GovernanceClient({ managerUrl: options.managerUrl, serviceName: spec.serviceName, podName });
  const cache = new DiscoveryCache({ onNotification: options.onNotification });
  let healthy = true;

  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/notify') return cache.handler(req, res);
    if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.statusCode = healthy ? 200 : 503;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ status: healthy ? 'healthy' : 'unhealthy' }));
      return;
    }
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ error: `telco-pods: no route ${req.method} ${path}; use GET /health or POST /notify` }));
  });
  const tcp = spec.protocols.includes('tcp') ? createTcpServer((socket) => socket.end()) : undefined;

  const port = await listen(http, options.port ?? 0, host);
  const tcpPort = tcp ? await listen(tcp, 0, host) : undefined;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const providers = spec.protocols.map((protocol) => ({ protocol, ip: host, port: protocol === 'tcp' ? tcpPort : port }));

  const closeServers = async () => {
    await Promise.all([close(http), tcp ? close(tcp) : undefined]);
  };

  try {
    await client.register({
      providers,
      healthCheckUrl: `${base}/health`,
      notificationUrl: `${base}/notify`,
      subscriptions: [...spec.subscriptions],
    });
  } catch (error) {
    await closeServers();
    throw error;
  }

  let registered = true;
  return {
    name: spec.serviceName,
    podName,
    port,
    cache,
    client,
    get healthy() {
      return healthy;
    },
    setHealthy(value) {
      healthy = Boolean(value);
    },
    async unregister() {
      if (!registered) return;
      await client.unregister();
      registered = false;
    },
    async stop() {
      await closeServers();
    },
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
