import http from 'node:http';
import express from 'express';
import { governanceRouter } from '@governance/core/express';
import { describe } from 'vitest';
import { LINGERING, oversizedUploadsTest } from './oversized-uploads';

describe('lingering close at volume: express', () => {
  oversizedUploadsTest('express', (manager) => {
    const app = express();
    app.use('/gov', governanceRouter(manager, { lingeringClose: LINGERING }));
    return http.createServer(app);
  });
});
