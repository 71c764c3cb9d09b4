import type { Options } from 'tsup';

/**
 * The one build config every package spreads: ESM + CJS + .d.ts, Node 20, no bundled deps. No
 * source maps: the sources are not published, so maps would only double the download.
 */
export function packageBuild(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
