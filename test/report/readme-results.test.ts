/**
 * The README's first screen (issue 31): its results block equals the one docs/results gives;
 * on the fixture studies, the block carries the thesis claims, each switch arm's accuracy
 * difference from the control with its paired 95% interval and its steps saved (computed here
 * from report.json), and links only figures that exist; the check names a changed number's
 * README line, a stale block and a missing block in one line each.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { formatNumber } from '../../src/report/format-number';
import {
  README_RESULTS_END,
  README_RESULTS_START,
  readmeResults,
  withReadmeResults,
} from '../../src/report/readme-results';
import { checkReadmeResults } from '../../src/report/results-check';
import { writeResultsPage } from '../../src/report/results-page';
import { fixtureRoot } from '../fixtures/results-root';

const repo = path.join(__dirname, '..', '..', '..');
/** Student's t_{0.975, 1}, from a printed table. */
const T1 = 12.7062047361747;

test("the README's results block is the one docs/results gives, and links only files that exist", () => {
  assert.deepEqual(
    checkReadmeResults(path.join(repo, 'README.md'), path.join(repo, 'docs', 'results')),
    [],
  );
});

/** The fixture studies' pages written, and a README beside the results root (as the
 * repository's sits beside docs/) whose block is written from them. */
function fixtureReadme(): { root: string; readme: string } {
  const root = fixtureRoot();
  for (const name of ['keskar-f1', 'switch-f1', 'thesis-f1']) writeResultsPage(root, name);
  const readme = path.join(path.dirname(root), `${path.basename(root)}-readme.md`);
  fs.writeFileSync(
    readme,
    withReadmeResults(
      `# x\n\nintro\n\n${README_RESULTS_START}\n${README_RESULTS_END}\n\n## after\n`,
      readmeResults(root, ['keskar-f1', 'switch-f1', 'thesis-f1'], path.dirname(readme)),
      readme,
    ),
  );
  return { root, readme };
}

test('the block: thesis claims, each switch arm against the control (paired interval computed here), figures that exist', () => {
  const { root, readme } = fixtureReadme();
  const text = fs.readFileSync(readme, 'utf8');
  assert.match(text, /^# x\n\nintro\n\n<!-- results: generated/);
  assert.match(text, /<!-- results end -->\n\n## after\n$/);
  // the thesis block comes first, then the switch study, then Keskar's link
  const at = (s: string) => text.indexOf(s);
  assert.ok(at('piggybacked method hold') < at('When to leave the small batch'));
  assert.ok(at('When to leave the small batch') < at('Keskar et al. 2017 on F1'));
  const base = path.basename(root);
  assert.ok(text.includes(`](${base}/thesis-f1.md)`), text);
  assert.ok(text.includes(`](${base}/thesis-f1/figures/line-seed-0-arm-256-arm-5000.svg)`));
  assert.ok(text.includes(`](${base}/switch-f1/figures/switch-critical-batch-seed-0.svg)`));
  assert.ok(!text.includes('switch-critical-batch-seed-1.svg'), 'the first seed only');
  // every switch arm, its accuracy - control with the interval and its steps saved, from report.json here
  const report = JSON.parse(fs.readFileSync(path.join(root, 'switch-f1', 'report.json'), 'utf8'));
  type Arm = { name: string; outcomes: { testAccuracy: number; steps: number }[] };
  const arms = report.arms as Arm[];
  const of = (name: string, q: 'testAccuracy' | 'steps'): number[] =>
    arms.find((a) => a.name === name)!.outcomes.map((o) => o[q]);
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${formatNumber(x, 4)}`;
  const control = 'small-batch/arm-256';
  const mean2 = (v: number[]) => (v[0]! + v[1]!) / 2;
  for (const arm of arms.map((a) => a.name).filter((n) => n !== control)) {
    const d = of(arm, 'testAccuracy').map((x, i) => x - of(control, 'testAccuracy')[i]!);
    const half = (T1 * Math.abs(d[0]! - d[1]!)) / 2;
    const saved = 1 - mean2(of(arm, 'steps')) / mean2(of(control, 'steps'));
    const line = text.split('\n').find((l) => l.startsWith(`| ${arm} |`));
    assert.ok(line, arm);
    const m = mean2(d);
    assert.ok(
      line.endsWith(
        `| ${signed(m)} [${signed(m - half)}, ${signed(m + half)}] | ${(100 * saved).toFixed(1)}% |`,
      ),
      `${arm}: ${line}`,
    );
  }
  assert.deepEqual(checkReadmeResults(readme, root), []);
});

test("the block's thesis table: one row per claim, one column per piggybacked arm, each cell computed here from report.json", () => {
  const { root, readme } = fixtureReadme();
  const text = fs.readFileSync(readme, 'utf8');
  const report = JSON.parse(fs.readFileSync(path.join(root, 'thesis-f1', 'report.json'), 'utf8'));
  assert.deepEqual(report.config.process2.arms, [256, 5000]);
  assert.ok(text.includes('| claim | B2 = 5000 |'), text);
  // the test accuracy row: arm-5000 - arm-256 in points, paired over the two seeds
  type Summary = { phase: string; testAccuracy: { values: number[] } };
  const acc = (phase: string) =>
    (report.summary as Summary[]).find((s) => s.phase === phase)!.testAccuracy.values;
  const d = acc('arm-5000').map((x, i) => 100 * (x - acc('arm-256')[i]!));
  const mean = (d[0]! + d[1]!) / 2;
  const half = (T1 * Math.abs(d[0]! - d[1]!)) / 2;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${formatNumber(x, 2)}`;
  const verdict = mean - half > 0 ? 'holds' : mean + half < 0 ? 'does not hold' : 'not shown';
  const row = text.split('\n').find((l) => l.startsWith('| generalises better'));
  assert.equal(
    row,
    `| generalises better: final test accuracy, arm - control (points) | ${signed(mean)} [${signed(mean - half)}, ${signed(mean + half)}]: ${verdict} |`,
  );
  // the two figures: the line to the largest arm and its Experiment B distances, seed 0
  const base = path.basename(root);
  assert.ok(text.includes(`](${base}/thesis-f1/figures/gradients-seed-0-arm-5000.svg)`), text);
  assert.ok(!text.includes('gradients-seed-0-arm-256.svg'), 'only the largest arm');
});

test("the check names a README's changed number by its line, a stale block, a missing figure and a missing block", () => {
  const { root, readme } = fixtureReadme();
  const lines = fs.readFileSync(readme, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith('| fixed/arm-5000 |'));
  lines[at] = lines[at]!.replace(/\| ([\d.]+)% \|$/, (_, x: string) => `| ${x}1% |`);
  fs.writeFileSync(readme, lines.join('\n'));
  assert.deepEqual(checkReadmeResults(readme, root), [
    `${readme}:${at + 1}: ${/([\d.]+)% \|$/.exec(lines[at]!)![1]} where its report gives ${/([\d.]+)1% \|$/.exec(lines[at]!)![1]}`,
  ]);
  // a page published after the block was written: the block is stale
  fs.writeFileSync(
    readme,
    withReadmeResults(
      fs.readFileSync(readme, 'utf8'),
      readmeResults(root, ['switch-f1'], path.dirname(readme)),
      readme,
    ),
  );
  assert.match(checkReadmeResults(readme, root)[0]!, /where its report gives|differs from the one/);
  // a figure it links is gone
  fs.writeFileSync(
    readme,
    withReadmeResults(
      fs.readFileSync(readme, 'utf8'),
      readmeResults(root, ['keskar-f1', 'switch-f1', 'thesis-f1'], path.dirname(readme)),
      readme,
    ),
  );
  fs.rmSync(path.join(root, 'switch-f1', 'figures', 'switch-critical-batch-seed-0.svg'));
  assert.deepEqual(
    checkReadmeResults(readme, root).filter((p) => p.includes('does not exist')),
    [
      `${readme}: links ${path.basename(root)}/switch-f1/figures/switch-critical-batch-seed-0.svg, which does not exist`,
    ],
  );
  // no block at all
  fs.writeFileSync(readme, '# x\n');
  assert.deepEqual(checkReadmeResults(readme, root), [
    `${readme}: has no results block (a line "${README_RESULTS_START}", then "${README_RESULTS_END}")`,
  ]);
});
