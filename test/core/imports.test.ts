/**
 * The layers of docs/design.md hold (issue 26, item 4): every file of src/ is in a layer of
 * design.md's list "Layers, bottom to top", imports only from its own layer or the layers
 * below it, and no chain of imports comes back to where it started. Every import counts:
 * `import`, `import type`, `export ... from`, `require(...)` and `import(...)` (read by the
 * TypeScript compiler's own scanner, so comments and strings are not mistaken for imports).
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import ts from 'typescript';

const root = path.join(__dirname, '..', '..', '..');
const src = path.join(root, 'src');

/** The layers, bottom first, as design.md lists them: `src/core/` -> core, `src/cli.ts` -> cli. */
function designLayers(): string[] {
  const text = fs.readFileSync(path.join(root, 'docs', 'design.md'), 'utf8');
  const block = /## Layers, bottom to top\n```\n([\s\S]*?)\n```/.exec(text);
  assert.ok(block, 'docs/design.md has its "Layers, bottom to top" list');
  return block[1]!
    .split('\n')
    .map((line) => /^src\/(\w+)(?:\/|\.ts)/.exec(line)?.[1])
    .filter((layer): layer is string => layer !== undefined);
}

/** A file's layer: its folder under src/, or its own name for src/cli.ts and src/index.ts. */
function layerOf(file: string): string {
  const [first] = path.relative(src, file).split(path.sep);
  return first!.replace(/\.ts$/, '');
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** The files of src/ that `file` imports (packages, Node's modules and package.json left out). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.resolve(path.dirname(file), name))
    .filter((target) => !path.relative(src, target).startsWith('..')) // package.json
    .map((target) => {
      const found = [`${target}.ts`, path.join(target, 'index.ts')].find((f) => fs.existsSync(f));
      assert.ok(found, `${path.relative(root, file)} imports ${target}, not a TypeScript file`);
      return found;
    });
}

/** The import graph's circles: its strongly connected components of more than one file (or a
 * file importing itself), by Tarjan's algorithm. */
function importCircles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.includes(v)) circles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}

const layers = designLayers();
const graph = new Map(sourceFiles(src).map((file) => [file, importsOf(file)]));
const name = (file: string) => path.relative(root, file);

test('the import reader sees every kind of import', () => {
  const edges = (from: string) => graph.get(path.join(src, from))!.map(name);
  assert.ok(edges('cli/train.ts').includes(path.join('src', 'train', 'run.ts')));
  assert.ok(edges('cli.ts').length > 5, 'src/cli.ts imports the commands');
  // a circle of three files and one of a file with itself are found; a chain is not a circle
  const circles = importCircles(
    new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]),
  );
  assert.deepEqual(circles, [['a', 'b', 'c'], ['e']]);
});

test("every file of src/ is in a layer of design.md's list", () => {
  assert.ok(layers.length >= 10, `design.md lists ${layers.join(', ')}`);
  const unlisted = [...graph.keys()].filter((file) => !layers.includes(layerOf(file)));
  assert.deepEqual(unlisted.map(name), [], `layers of design.md: ${layers.join(' < ')}`);
});

test('no file imports from a layer above its own', () => {
  const upward: string[] = [];
  const rank = (file: string) => layers.indexOf(layerOf(file)); // -1: unlisted, found above
  for (const [file, imported] of graph)
    for (const target of imported)
      if (rank(file) >= 0 && rank(target) > rank(file))
        upward.push(`${name(file)} -> ${name(target)}`);
  assert.deepEqual(upward, [], `layers, bottom to top: ${layers.join(' < ')}`);
});

test('no import circles', () => {
  assert.deepEqual(
    importCircles(graph).map((circle) => circle.map(name).join(' <-> ')),
    [],
  );
});
