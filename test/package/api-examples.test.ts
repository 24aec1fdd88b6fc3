/**
 * The library's face (src/index.ts): every name it exports carries a JSDoc `@example` where
 * its declaration is (what an editor shows on hover and what docs/api/ is generated from), and
 * every example compiles, with the TypeScript compiler, against the library as
 * `import ... from 'gradscope'`. An example's import lines stay at the top of its file; the rest
 * becomes the body of an async function (so it may `await`). Nothing runs.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..', '..');
const INDEX = path.join(ROOT, 'src', 'index.ts');
const EXAMPLES = path.join(ROOT, 'api-examples');

interface Example {
  name: string;
  code: string;
}

/** The compiler options of the library's own build, with 'gradscope' resolving to src/. */
function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('tsconfig.build.json does not parse');
  return {
    ...parsed.options,
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    baseUrl: ROOT,
    paths: { gradscope: ['src/index.ts'] },
  };
}

/** The code of one `@example` tag: inside its ```ts fence when it has one. */
function exampleCode(text: string): string {
  const fenced = /```(?:ts|typescript)?\n([\s\S]*?)```/.exec(text);
  return (fenced ? fenced[1] : text).trim();
}

/** Every export of src/index.ts with the `@example` tags of its declaration. */
function exportsWithExamples(): { name: string; examples: string[] }[] {
  const program = ts.createProgram([INDEX], compilerOptions());
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(INDEX);
  const module = index && checker.getSymbolAtLocation(index);
  if (!module) throw new Error('src/index.ts has no exports');
  return checker.getExportsOfModule(module).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const examples = target
      .getJsDocTags(checker)
      .filter((tag) => tag.name === 'example')
      .map((tag) => exampleCode(ts.displayPartsToString(tag.text)));
    return { name: symbol.name, examples };
  });
}

/** One example as a module: its imports on top, the rest inside an async function. */
function exampleModule(code: string): string {
  const lines = code.split('\n');
  let end = 0;
  while (end < lines.length && /^import\b/.test(lines[end])) {
    while (end < lines.length && !/;\s*$/.test(lines[end])) end++;
    end++;
  }
  const imports = lines.slice(0, end).join('\n');
  const body = lines.slice(end).join('\n');
  return `${imports}\nexport async function example(): Promise<void> {\n${body}\n}\n`;
}

/** Compiler messages of the examples, each named by its export. */
function compileExamples(examples: Example[]): string[] {
  const options = compilerOptions();
  const files = new Map(
    examples.map((e, i) => [path.join(EXAMPLES, `${i}-${e.name}.ts`), exampleModule(e.code)]),
  );
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => {
    const text = files.get(path.resolve(file));
    return text !== undefined
      ? ts.createSourceFile(file, text, language, true)
      : getSourceFile(file, language, ...rest);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => files.has(path.resolve(file)) || fileExists(file);
  const program = ts.createProgram([...files.keys()], options, host);
  const messages: string[] = [];
  for (const file of files.keys()) {
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} was not compiled`);
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const d of diagnostics) {
      const where =
        d.start === undefined ? '' : `:${source.getLineAndCharacterOfPosition(d.start).line + 1}`;
      const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      messages.push(`${path.basename(file)}${where}: ${text}`);
    }
  }
  return messages;
}

const found = exportsWithExamples();

test('src/index.ts exports the library (about 60 names)', () => {
  assert.ok(found.length >= 50, `only ${found.length} exports`);
});

test('every export of src/index.ts has an @example', () => {
  const without = found.filter((e) => e.examples.length === 0).map((e) => e.name);
  assert.deepEqual(without, []);
});

test("every @example compiles against the library, imported as 'gradscope'", () => {
  const examples = found.flatMap((e) => e.examples.map((code) => ({ name: e.name, code })));
  assert.ok(examples.length > 0);
  assert.deepEqual(compileExamples(examples), []);
});

test('an example with a type error is caught', () => {
  const wrong = "import { networkSpec } from 'gradscope';\nconst n: number = networkSpec('F1');";
  const messages = compileExamples([{ name: 'wrong', code: wrong }]);
  assert.equal(messages.length, 1);
  assert.match(
    messages[0],
    /^0-wrong\.ts:3: Type 'NetworkSpec' is not assignable to type 'number'/,
  );
});
