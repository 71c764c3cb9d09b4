import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Workspace packages by name, with whether they are private (never versioned or published). */
function workspacePackages(): Map<string, { private: boolean }> {
  const found = new Map<string, { private: boolean }>();
  for (const dir of readdirSync(join(root, 'packages'))) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    found.set(manifest.name, { private: manifest.private === true });
  }
  return found;
}

/** The packages a changeset's front matter names (`'@scope/name': patch|minor|major`). */
function namedPackages(text: string): string[] {
  const front = /^---\n([\s\S]*?)\n---/.exec(text);
  if (front?.[1] === undefined) return [];
  return front[1]
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => /^\s*['"]?([^'":]+)['"]?\s*:\s*(patch|minor|major)\s*$/.exec(line)?.[1] ?? `unparsed line: ${line}`);
}

describe('changesets', () => {
  // `changeset version` refuses a changeset that names a private (ignored) package beside public
  // ones, which would block the next release; catch it when the changeset is added.
  it('name only public workspace packages, so `changeset version` can take them all', () => {
    const packages = workspacePackages();
    const files = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(files.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const file of files) {
      const named = namedPackages(readFileSync(join(root, '.changeset', file), 'utf8'));
      if (named.length === 0) problems.push(`${file}: names no package`);
      for (const name of named) {
        const pkg = packages.get(name);
        if (pkg === undefined) problems.push(`${file}: ${name} is not a workspace package`);
        else if (pkg.private) problems.push(`${file}: ${name} is private (bundled into the stores; name the published packages instead)`);
      }
    }
    expect(problems).toEqual([]);
  });
});
