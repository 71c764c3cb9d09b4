import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'transport/express': 'src/transport/express.ts',
    'transport/koa': 'src/transport/koa.ts',
    'transport/node': 'src/transport/node.ts',
    'observability/prometheus': 'src/observability/prometheus.ts',
    'observability/status-page': 'src/observability/status-page.ts',
  }, { external: ['express', 'koa', 'prom-client'], splitting: true }),
);
