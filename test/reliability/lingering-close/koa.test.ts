import http from 'node:http';
import Koa from 'koa';
import { governanceKoa } from '@governance/core/koa';
import { describe } from 'vitest';
import { LINGERING, oversizedUploadsTest } from './oversized-uploads';

describe('lingering close at volume: koa', () => {
  oversizedUploadsTest('koa', (manager) => {
    const app = new Koa();
    app.use(governanceKoa(manager, { prefix: '/gov', lingeringClose: LINGERING }));
    return http.createServer(app.callback());
  });
});
