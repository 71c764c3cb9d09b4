#!/usr/bin/env node
// Runs the pnpm version pinned in package.json's "packageManager" through npx, so a fresh
// clone needs nothing but Node and npm. Usage: node scripts/pnpm.mjs <pnpm args...>
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const pinned = manifest.packageManager; // e.g. "pnpm@10.34.9"
if (!/^pnpm@\d+\.\d+\.\d+$/.test(pinned ?? '')) {
  console.error(`[scripts/pnpm] package.json "packageManager" must be pnpm@x.y.z, got ${pinned}`);
  process.exit(2);
}
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const result = spawnSync(npx, ['--yes', pinned, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, npm_config_update_notifier: 'false' },
});
if (result.error) {
  console.error(`[scripts/pnpm] could not run ${pinned} through npx: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
