import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Koa from 'koa';
import type { NotificationHandler } from '@governance/client';

/** A real server on 127.0.0.1 with a notification handler mounted on /notify. */
export interface Mounted {
  url: string;
  close(): Promise<void>;
}

async function listen(listener: RequestListener): Promise<Mounted> {
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/notify`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads a Koa request body the way a body parser does: raw text kept, JSON parsed if possible. */
function koaBodyParser(): Koa.Middleware {
  return async (ctx, next) => {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const request = ctx.request as typeof ctx.request & { body?: unknown; rawBody?: string };
    try {
      request.body = raw.length > 0 ? JSON.parse(raw) : {};
    } catch {
      ctx.status = 400;
      ctx.body = { error: 'body parser: invalid JSON' };
      return;
    }
    request.rawBody = raw;
    await next();
  };
}

export const transports: Record<string, (handler: NotificationHandler) => Promise<Mounted>> = {
  'node:http': (handler) =>
    listen((req, res) => {
      if ((req.url ?? '').split('?')[0] === '/notify') return handler(req, res);
      res.statusCode = 404;
      res.end();
    }),
  express: (handler) => {
    const app = express();
    app.all('/notify', handler);
    return listen(app);
  },
  koa: (handler) => {
    const app = new Koa();
    app.use(async (ctx, next) => (ctx.path === '/notify' ? handler.koa(ctx, next) : next()));
    return listen(app.callback());
  },
};

/** Express with `express.json()` in front: the handler gets an already parsed `req.body`. */
export function expressWithJsonParser(handler: NotificationHandler): Promise<Mounted> {
  const app = express();
  app.post('/notify', express.json(), handler);
  return listen(app);
}

/** Express with `express.raw()` in front: the handler gets the raw body as a Buffer. */
export function expressWithRawParser(handler: NotificationHandler): Promise<Mounted> {
  const app = express();
  app.post('/notify', express.raw({ type: 'application/json' }), handler);
  return listen(app);
}

/** Koa with a body parser in front: the handler gets `ctx.request.body` and `ctx.request.rawBody`. */
export function koaWithBodyParser(handler: NotificationHandler): Promise<Mounted> {
  const app = new Koa();
  app.use(koaBodyParser());
  app.use(async (ctx, next) => (ctx.path === '/notify' ? handler.koa(ctx, next) : next()));
  return listen(app.callback());
}

/** Koa behind a parser that leaves a `{}` placeholder without reading the body. */
export function koaWithPlaceholderParser(handler: NotificationHandler): Promise<Mounted> {
  const app = new Koa();
  app.use(async (ctx, next) => {
    (ctx.request as typeof ctx.request & { body?: unknown }).body = {};
    await next();
  });
  app.use(async (ctx, next) => (ctx.path === '/notify' ? handler.koa(ctx, next) : next()));
  return listen(app.callback());
}
