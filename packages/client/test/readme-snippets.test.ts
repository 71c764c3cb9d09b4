import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { checkReadmeSnippets, typescriptBlocks } from '../../../test/support/readme-snippets';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../../tsconfig.json', import.meta.url));

it('every TypeScript snippet of the client README compiles as written (read in order, as one module)', () => {
  expect(checkReadmeSnippets(README, TSCONFIG)).toEqual([]);
});

it('the snippet check reports a snippet that does not compile, at its README line', () => {
  const markdown = 'intro\n\n```ts\nimport { GovernanceClient } from \'@governance/client\';\nconst a: number = 1;\n```\n\n```ts\nconst b: string = a;\nnew GovernanceClient();\n```\n';
  expect(typescriptBlocks(markdown).map((b) => b.line)).toEqual([4, 9]);
  const dir = mkdtempSync(join(tmpdir(), 'gov-readme-'));
  try {
    writeFileSync(join(dir, 'README.md'), markdown);
    const problems = checkReadmeSnippets(join(dir, 'README.md'), TSCONFIG);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/README\.md:9: TS2322 Type 'number' is not assignable to type 'string'/);
    expect(problems[1]).toMatch(/README\.md:10: TS2554 /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
