import http from 'node:http';
import { createNodeListener } from '@governance/core/node';
import { describe } from 'vitest';
import { LINGERING, oversizedUploadsTest } from './oversized-uploads';

describe('lingering close at volume: node:http', () => {
  oversizedUploadsTest('node:http', (manager) => http.createServer(createNodeListener(manager, { prefix: '/gov', lingeringClose: LINGERING })));
});
