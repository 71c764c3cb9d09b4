/**
 * Type-checks the TypeScript snippets of a README as one module, the way a reader follows it:
 * the ```ts blocks in order, later blocks using what earlier ones declared. Imports (one per
 * line) are gathered at the top and merged, so two blocks may import the same name. Packages
 * resolve as in the repository's tsconfig (`@governance/*` to the sources).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

interface Imports {
  defaults: Set<string>;
  named: Map<string, string>; // local name -> specifier text (`type X`, `a as b`)
  sideEffect: boolean;
}

const IMPORT = /^import\s+(?:(type)\s+)?(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\})?\s*(?:from\s+)?['"]([^'"]+)['"];?\s*$/;

/** The ```ts blocks of a markdown file with the line each starts at (1-based, first code line). */
export function typescriptBlocks(markdown: string): Array<{ line: number; code: string[] }> {
  const blocks: Array<{ line: number; code: string[] }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end) });
    i = end;
  }
  return blocks;
}

/** Builds the module: merged imports, then every block's other lines; `origin[i]` is the README line of generated line i. */
function assemble(file: string, blocks: Array<{ line: number; code: string[] }>): { text: string; origin: number[] } {
  const imports = new Map<string, Imports>();
  const body: string[] = [];
  const bodyOrigin: number[] = [];
  for (const block of blocks) {
    block.code.forEach((line, offset) => {
      if (!line.startsWith('import ')) {
        body.push(line);
        bodyOrigin.push(block.line + offset);
        return;
      }
      const match = IMPORT.exec(line);
      if (match === null) throw new Error(`${file}:${block.line + offset}: write each import on one line so the snippet check can merge it`);
      const [, typeOnly, defaultName, named, from] = match;
      const entry = imports.get(from!) ?? { defaults: new Set(), named: new Map(), sideEffect: false };
      imports.set(from!, entry);
      if (defaultName !== undefined) entry.defaults.add(defaultName);
      for (const raw of (named ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
        const spec = typeOnly !== undefined && !raw.startsWith('type ') ? `type ${raw}` : raw;
        const local = spec.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!;
        const known = entry.named.get(local);
        // A value import wins over a type-only import of the same name.
        if (known === undefined || known.startsWith('type ')) entry.named.set(local, spec);
      }
      if (defaultName === undefined && named === undefined) entry.sideEffect = true;
    });
  }
  const head: string[] = [];
  for (const [from, entry] of imports) {
    for (const name of entry.defaults) head.push(`import ${name} from '${from}';`);
    if (entry.named.size > 0) head.push(`import { ${[...entry.named.values()].join(', ')} } from '${from}';`);
    if (entry.sideEffect && entry.defaults.size === 0 && entry.named.size === 0) head.push(`import '${from}';`);
  }
  return { text: [...head, 'export {};', ...body].join('\n'), origin: [...head.map(() => 0), 0, ...bodyOrigin] };
}

/**
 * Type-checks the README's TypeScript snippets with the repository's compiler options and
 * returns every problem as `README.md:<line>: <message>` (none when they compile).
 */
export function checkReadmeSnippets(readme: string, tsconfig: string): string[] {
  const blocks = typescriptBlocks(readFileSync(readme, 'utf8'));
  if (blocks.length === 0) return [`${readme}: no \`\`\`ts blocks found`];
  const { text, origin } = assemble(readme, blocks);
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (parsed === undefined) throw new Error(`cannot read ${tsconfig}`);
  const virtual = join(dirname(readme), '__readme_snippets__.ts');
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, onError) =>
    name === virtual ? ts.createSourceFile(name, text, language, true) : getSourceFile(name, language, onError);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === virtual || fileExists(name);
  const program = ts.createProgram([virtual], { ...parsed.options, noEmit: true }, host);
  const source = program.getSourceFile(virtual)!;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return `${readme}: ${message}`;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    return `${readme}:${origin[line] ?? '?'}: TS${d.code} ${message}`;
  });
}
