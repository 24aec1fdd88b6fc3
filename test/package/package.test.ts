/**
 * The npm package (`npm pack`, then `npm install -g ./gradscope-*.tgz`): the tarball holds what
 * the install step builds from and what the command line reads at run time, and nothing of the
 * tests or the TypeScript sources; the install step builds the native engine with node-gyp after
 * checking that a libtorch is there. `npm pack --dry-run --ignore-scripts` lists the files
 * without building anything (the real `npm pack` first compiles dist/src: package.json "prepack").
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..', '..');

interface PackEntry {
  path: string;
}
interface PackResult {
  files: PackEntry[];
}

function packedFiles(): string[] {
  const out = childProcess.execFileSync(
    'npm',
    ['pack', '--dry-run', '--ignore-scripts', '--json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const [result] = JSON.parse(out) as PackResult[];
  return result.files.map((f) => f.path).sort();
}

interface PackageJson {
  scripts: Record<string, string>;
  files: string[];
  bin: Record<string, string>;
  main: string;
  types: string;
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;

test('the tarball holds the command, the compiled library, the native sources and configs/', () => {
  const files = packedFiles();
  const sources = (
    JSON.parse(fs.readFileSync(path.join(ROOT, 'binding.gyp'), 'utf8')) as {
      targets: { sources: string[] }[];
    }
  ).targets[0].sources;
  const headers = fs
    .readdirSync(path.join(ROOT, 'native'))
    .filter((f) => f.endsWith('.h'))
    .map((f) => `native/${f}`);
  const configs = fs.readdirSync(path.join(ROOT, 'configs')).map((f) => `configs/${f}`);
  const needed = [
    'package.json',
    'README.md',
    'binding.gyp',
    'scripts/libtorch.js', // binding.gyp asks it for libtorch's folders and flags
    'bench/pytorch_bench.py', // `gradscope bench` runs it beside PyTorch
    ...Object.values(pkg.bin),
    pkg.main.replace(/^\.\//, ''),
    pkg.types.replace(/^\.\//, ''),
    'dist/src/cli.js',
    ...sources,
    ...headers,
    ...configs, // `gradscope run thesis` and `demo` read them (experiments/config.ts CONFIG_DIR)
  ];
  for (const file of needed) assert.ok(files.includes(file), `the tarball lacks ${file}`);
});

test('the tarball holds no tests, TypeScript sources, source maps, build output or modules', () => {
  const stray = packedFiles().filter(
    (f) =>
      /^(test|src|dist\/test|build|node_modules|docs|\.ci)\//.test(f) ||
      f.endsWith('.map') ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')),
  );
  assert.deepEqual(stray, []);
});

test('installing the package builds the native engine, after a libtorch check', () => {
  const install = pkg.scripts.install ?? '';
  assert.match(install, /^node scripts\/libtorch\.js check && node-gyp rebuild --release\b/);
  // the check is silent where a libtorch is found (as on every machine the tests run on)
  const check = childProcess.spawnSync(
    process.execPath,
    [path.join(ROOT, 'scripts', 'libtorch.js'), 'check'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stdout, '');
});

test('packing compiles dist/src afresh from src/ alone', () => {
  const prepack = pkg.scripts.prepack ?? '';
  assert.match(prepack, /rmSync\('dist\/src'/);
  assert.match(prepack, /tsc -p tsconfig\.build\.json$/);
  const build = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
    include: string[];
  };
  assert.deepEqual(build.include, ['src/**/*.ts']);
});
