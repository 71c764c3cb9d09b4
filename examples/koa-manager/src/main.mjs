const text = process.env.PORT ?? '8080';
if (!/^\d+$/.test(text) || Number(text) > 65_535) {
  process.stderr.write(`koa-manager: PORT=${JSON.stringify(text)} is not a port number (0 to 65535)\n`);
  process.exit(1);
}

const { default: Koa } = await import('koa');
const { Manager } = await import('@governance/core');
const { governanceKoa } = await import('@governance/core/koa');
const { MemoryStore } = await import('@governance/store-memory');

const manager = new Manager({}, new MemoryStore());
await manager.start();
manager.on('registered', (s, outcome) => log(`registered ${s.serviceName}/${s.podName} (${outcome})`));
manager.on('unregistered', (s) => log(`unregistered ${s.serviceName}/${s.podName}`));
manager.on('statusChanged', (s, previous) => log(`${s.serviceName}/${s.podName} ${previous} -> ${s.status}`));
manager.on('notificationFailed', (f) => log(`notification to ${f.subscriberKey} about ${f.group} failed: ${f.error?.message ?? f.error}`));

const app = new Koa();
app.use(governanceKoa(manager));
app.use((ctx) => {
  ctx.status = 404;
  ctx.body = { error: `koa-manager: no route ${ctx.method} ${ctx.path}; the API is POST /register, DELETE /unregister, GET /services, GET /health` };
});

// Inbound limits, as "Recommended server setup" in core's README explains: idle or slow clients
// are closed after 10 s without headers (Node's default is 60 s), a request must arrive within
// 30 s, idle keep-alive connections close after 5 s, and at most 4,096 connections are open, so
// inbound sockets never take the descriptors the manager needs for its probes and deliveries.
const { createServer } = await import('node:http');
const server = createServer(
  { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 },
  app.callback(),
);
server.maxConnections = 4_096;
// Node's headersTimeout starts at a request's first byte: a connection that sends nothing gets the same 10 s as an inactivity limit.
server.on('connection', (socket) => socket.setTimeout(10_000, () => socket.destroy()));
server.on('request', (req) => req.socket.setTimeout(0));
server.listen(Number(text), () => log(`koa-manager listening on port ${server.address().port} (memory store)`));
server.once('error', (error) => {
  process.stderr.write(`koa-manager: cannot listen on PORT=${text}: ${error.message}\n`);
  process.exit(1);
});

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) process.exit(1);
    stopping = true;
    log(`${signal}: shutting down`);
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeIdleConnections();
    });
    await manager.stop();
    process.exit(0);
  });
}

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}
