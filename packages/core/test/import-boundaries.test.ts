import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Which top-level unit of src/ a file belongs to: its folder, or the file itself (`wire`). */
function unitOf(file: string): string {
  const [first] = relative(SRC, file).split('/');
  return first!.replace(/\.ts$/, '');
}

/** Every relative import in src/, as `from-unit -> to-unit` (within a unit not listed). */
function arrows(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        for (const [, spec] of readFileSync(path, 'utf8').matchAll(/from '(\.[^']*)'/g)) {
          const from = unitOf(path);
          const to = unitOf(resolve(dirname(path), spec!));
          if (from !== to) found.add(`${from} -> ${to}`);
        }
      }
    }
  };
  walk(SRC);
  return found;
}

describe('the folders of core import downwards only', () => {
  const graph = arrows();

  it.each([
    ['security', ['manager', 'transport', 'validation', 'wire', 'store']],
    ['transport', ['manager']],
    ['validation', ['manager', 'transport', 'security']],
    ['wire', ['manager', 'transport', 'security', 'validation']],
    ['model', ['errors', 'store', 'wire', 'validation', 'manager', 'transport', 'security']],
  ])('%s imports none of %j', (from, forbidden) => {
    for (const to of forbidden) expect(graph.has(`${from} -> ${to}`), `${from} -> ${to}`).toBe(false);
  });
});
