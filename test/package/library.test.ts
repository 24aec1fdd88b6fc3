/**
 * The library face: the README's example runs as a user's script would (requiring
 * "gradscope" by name) and prints Experiment B's numbers; every documented export is
 * there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import * as gradscope from '../../src/index';

const root = path.join(__dirname, '..', '..', '..');

test("the README's library example runs and prints Experiment B's numbers", () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split('## Use it as a library')[1]!;
  const code = section.split('```js\n')[1]!.split('```')[0]!;
  // run inside the package, as the README says: "gradscope" resolves to this package
  const script = path.join(root, 'dist', 'readme-example.js');
  fs.writeFileSync(script, code);
  let out: string;
  try {
    out = execFileSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
  } finally {
    fs.rmSync(script, { force: true });
  }
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 3, out);
  const d = Number(/^d = (\S+),/.exec(lines[0]!)![1]);
  assert.ok(d > 0 && Number.isFinite(d));
  assert.match(lines[1]!, /^B = 256: mean \|g_B - g_total\|\/d = \d+\.\d{3}$/);
  assert.match(lines[2]!, /^B = 5000: mean \|g_B - g_total\|\/d = \d+\.\d{3}$/);
  // B = 5000 draws land closer to g_total than B = 256 draws (the study's premise)
  const mean = (line: string) => Number(line.split('= ').pop());
  assert.ok(mean(lines[2]!) < mean(lines[1]!), out);
});

test('the library face exports the study, the experiments and the engine', () => {
  for (const name of [
    'Network',
    'Optimizer',
    'loadData',
    'networkSpec',
    'networkFromCheckpoint',
    'analyzeGradients',
    'lossAlongLine',
    'measureSharpness',
    'topEigenvalues',
    'runTraining',
    'runStudy',
    'readStudyConfig',
    'thesisConfig',
    'writeStudyReport',
  ])
    assert.equal(typeof (gradscope as Record<string, unknown>)[name], 'function', name);
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.ok(fs.existsSync(path.join(root, pkg.main)), `package.json main ${pkg.main} exists`);
});
