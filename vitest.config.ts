import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// Tests import the packages' sources, so `vitest` works without a build; the README's test
// command still builds first, and the examples/demo run against the built packages.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@governance\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@governance\/core\/express$/, replacement: src('core/src/transport/express.ts') },
      { find: /^@governance\/core\/koa$/, replacement: src('core/src/transport/koa.ts') },
      { find: /^@governance\/core\/node$/, replacement: src('core/src/transport/node.ts') },
      { find: /^@governance\/core\/prometheus$/, replacement: src('core/src/observability/prometheus.ts') },
      { find: /^@governance\/core\/ui$/, replacement: src('core/src/observability/status-page.ts') },
      { find: /^@governance\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@governance\/store-memory$/, replacement: src('store-memory/src/index.ts') },
      { find: /^@governance\/store-postgres$/, replacement: src('store-postgres/src/index.ts') },
      { find: /^@governance\/store-mysql$/, replacement: src('store-mysql/src/index.ts') },
      { find: /^@governance\/store-mongodb$/, replacement: src('store-mongodb/src/index.ts') },
      { find: /^@governance\/sql-shared$/, replacement: src('sql-shared/src/index.ts') },
      { find: /^@governance\/client$/, replacement: src('client/src/index.ts') },
      { find: /^@governance\/cli$/, replacement: src('cli/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    unstubEnvs: true,
  },
});
