import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isCI } from '@governance/core/testing';

// The built package: every entry point (index, express, koa, node) must share ONE copy of the
// core classes, or `instanceof` and module state break between them.
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const built = existsSync(`${dist}index.js`) && existsSync(`${dist}transport/express.js`);
if (!built) {
  const message = '[core] dist-entries tests need the build: run `npx pnpm@10.34.9 -r --filter "./packages/**" run build` first';
  if (isCI()) throw new Error(message);
  console.warn(`\n!!! ${message}\n`);
}

describe.skipIf(!built)('built @governance/core entry points', () => {
  it('ESM entries share one copy of the core modules', async () => {
    const index = await import(pathToFileURL(`${dist}index.js`).href);
    for (const entry of ['transport/express.js', 'transport/koa.js', 'transport/node.js']) {
      const source = (await import('node:fs')).readFileSync(`${dist}${entry}`, 'utf8');
      expect(source, entry).not.toMatch(/class ValidationError|ValidationError = class/);
    }
    expect(typeof index.Manager).toBe('function');
  });

  it('CJS entries share one copy of the core modules', () => {
    const require = createRequire(import.meta.url);
    const index = require(`${dist}index.cjs`);
    for (const entry of ['transport/express.cjs', 'transport/koa.cjs', 'transport/node.cjs']) {
      const source = (require('node:fs') as typeof import('node:fs')).readFileSync(`${dist}${entry}`, 'utf8');
      expect(source, entry).not.toMatch(/class ValidationError|ValidationError = class/);
      expect(() => require(`${dist}${entry}`)).not.toThrow();
    }
    expect(typeof index.Manager).toBe('function');
  });
});
