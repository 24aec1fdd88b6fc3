/**
 * docs/results/: every committed page's numbers equal those its report.json and results.json
 * give, and every file it links exists (vacuously true, and said so, while no study is
 * published); the page generator and the check on fixtures: a real two-seed study's report.json
 * (test/fixtures/results/tiny.yaml), the two-seed switch study's published in docs/results/switch-f1
 * (configs/switch.yaml) and keskar-f1's report.json
 * from a smoke run of scripts/results.sh; the check fails on a changed number and on a missing figure; and
 * scripts/results.sh leaves published results untouched when its run fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { checkResultsPages } from '../../src/report/results-check';
import { reportJson } from '../../src/report/report-json';
import { formatNumber } from '../../src/report/format-number';
import { resultsPage, writeResultsPage } from '../../src/report/results-page';
import type { StudyModel } from '../../src/report/study-model';
import { fixtureRoot } from '../fixtures/results-root';

const repo = path.join(__dirname, '..', '..', '..');
const published = path.join(repo, 'docs', 'results');
/** Student's t_{0.975, 1}, from a printed table. */
const T1 = 12.7062047361747;

test('every committed results page prints its report.json numbers and links only files that exist', (t) => {
  const { pages, problems } = checkResultsPages(published);
  if (pages.length === 0)
    t.diagnostic(
      'docs/results holds no result pages yet, so there is nothing to check: scripts/results.sh NAME publishes one',
    );
  assert.deepEqual(problems, []);
});

test('the thesis page: the claims from report.json, with paired 95% intervals computed here', () => {
  const root = fixtureRoot();
  const file = writeResultsPage(root, 'thesis-f1');
  const page = fs.readFileSync(file, 'utf8');
  const report = JSON.parse(fs.readFileSync(path.join(root, 'thesis-f1', 'report.json'), 'utf8'));
  const acc = (phase: string): number[] =>
    report.summary.find((s: { phase: string }) => s.phase === phase).testAccuracy.values;
  const d = acc('arm-5000').map((x, i) => 100 * (x - acc('arm-256')[i]!));
  const mean = (d[0]! + d[1]!) / 2;
  const half = (T1 * Math.abs(d[0]! - d[1]!)) / Math.sqrt(2) / Math.sqrt(2);
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
  assert.ok(
    page.includes(
      `arm - control: ${sign(mean)} (95% interval ${sign(mean - half)} to ${sign(mean + half)}, 2 seeds) points`,
    ),
    page,
  );
  assert.match(
    page,
    /\| claim \| the thesis' evidence \| gradscope's measurement \(mean and 95% interval over 2 seeds\) \| holds or not \|/,
  );
  assert.match(
    page,
    /with gradscope 0\.1\.0 \(commit ea0781e\) on AMD EPYC \(2 cores\) in 0\.02 hours \(79 s\)/,
  );
  assert.match(
    page,
    /!\[line-seed-0-arm-256-arm-5000\]\(thesis-f1\/figures\/line-seed-0-arm-256-arm-5000\.svg\)/,
  );
  assert.deepEqual(checkResultsPages(root), { pages: ['thesis-f1'], problems: [] });
});

test('the Keskar page: the paper numbers from keskar-2017.json beside the runs, mean and interval computed here', () => {
  const root = fixtureRoot();
  const page = fs.readFileSync(writeResultsPage(root, 'keskar-f1'), 'utf8');
  const paper = JSON.parse(fs.readFileSync(path.join(root, 'keskar-2017.json'), 'utf8'));
  for (const row of paper.rows)
    assert.ok(
      page.includes(
        `| ${row.sb[0].toFixed(2)} ± ${row.sb[1].toFixed(2)} | ${row.lb[0].toFixed(2)} ± ${row.lb[1].toFixed(2)} |`,
      ),
      row.table,
    );
  const report = JSON.parse(fs.readFileSync(path.join(root, 'keskar-f1', 'report.json'), 'utf8'));
  const test = (regime: string) =>
    report.runs
      .filter((r: { regime: string }) => r.regime === regime)
      .map((r: { testAccuracy: number }) => 100 * r.testAccuracy);
  const lb = test('lb');
  const mean = (lb[0] + lb[1]) / 2;
  const half = (T1 * Math.abs(lb[0] - lb[1])) / 2;
  assert.ok(
    page.includes(
      `${mean.toFixed(2)} (95% interval ${(mean - half).toFixed(2)} to ${(mean + half).toFixed(2)}, 2 seeds)`,
    ),
    page,
  );
  assert.deepEqual(checkResultsPages(root).problems, []);
});

test("the Keskar page names the maximisation's iterations only where every run recorded the same count", () => {
  const root = fixtureRoot();
  const file = path.join(root, 'keskar-f1', 'report.json');
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const page = () => fs.readFileSync(writeResultsPage(root, 'keskar-f1'), 'utf8');
  // the fixture predates the count: no number is claimed
  assert.match(page(), /maximises with its own bounded quasi-Newton method/);
  type Run = { sharpness: { iterations?: number }[] };
  for (const run of report.runs as Run[]) for (const k of run.sharpness) k.iterations = 10;
  fs.writeFileSync(file, JSON.stringify(report));
  assert.match(
    page(),
    /maximises in at most 10 iterations with its own bounded quasi-Newton method/,
  );
  // a subspace maximisation that stops early at the box's corner does not lower the count
  (report.runs as Run[])[0]!.sharpness[1]!.iterations = 1;
  fs.writeFileSync(file, JSON.stringify(report));
  assert.match(page(), /maximises in at most 10 iterations with/);
  (report.runs as Run[])[1]!.sharpness[0]!.iterations = 12;
  fs.writeFileSync(file, JSON.stringify(report));
  assert.match(page(), /maximises in at most 12 iterations with/);
  // the subspace's scale: standard normal columns would be sqrt(n) long, n from the full space
  type Measured = { space: string; dimension: number };
  const n = (report.runs[0].sharpness as Measured[]).find((k) => k.space === 'full')!.dimension;
  assert.ok(page().includes(`about ${Math.round(Math.sqrt(n))} long for F1's ${n} parameters`));
});

test('the switch page: each arm against the control and the fixed switch, the paired interval computed here', () => {
  const root = fixtureRoot();
  const page = fs.readFileSync(writeResultsPage(root, 'switch-f1'), 'utf8');
  const file = path.join(root, 'switch-f1', 'report.json');
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  type Arm = { name: string; outcomes: { testAccuracy: number; steps: number }[] };
  const of = (name: string, q: 'testAccuracy' | 'steps'): number[] =>
    (report.arms as Arm[]).find((a) => a.name === name)!.outcomes.map((o) => o[q]);
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${formatNumber(x, 4)}`;
  for (const [arm, reference] of [
    ['noise-scale/arm-1000', 'small-batch/arm-256'],
    ['accuracy/arm-5000', 'fixed/arm-5000'],
  ] as const) {
    const d = of(arm, 'testAccuracy').map((x, i) => x - of(reference, 'testAccuracy')[i]!);
    const mean = (d[0]! + d[1]!) / 2;
    const half = (T1 * Math.abs(d[0]! - d[1]!)) / 2;
    assert.ok(
      page.includes(`${signed(mean)} [${signed(mean - half)}, ${signed(mean + half)}]`),
      `${arm} - ${reference}`,
    );
  }
  // steps saved against the control: 1 - mean steps of the arm / mean steps of the control
  const steps = (name: string) => of(name, 'steps').reduce((a, b) => a + b, 0) / 2;
  const saved = 1 - steps('fixed/arm-5000') / steps('small-batch/arm-256');
  assert.match(page, new RegExp(`\\| fixed/arm-5000 \\|.*\\| ${(100 * saved).toFixed(1)}% \\|`));
  assert.match(page, /^# switch: when to leave the small batch/m);
  assert.match(
    page,
    /!\[switch-critical-batch-seed-1\]\(switch-f1\/figures\/switch-critical-batch-seed-1\.svg\)/,
  );
  assert.deepEqual(checkResultsPages(root), { pages: ['switch-f1'], problems: [] });
  // a damaged report is one line naming it
  report.arms[0].outcomes[0].testAccuracy = 'high';
  fs.writeFileSync(file, JSON.stringify(report));
  assert.throws(
    () => resultsPage(root, 'switch-f1'),
    (e: Error) => e.message.includes(file) && /testAccuracy: expected a number/.test(e.message),
  );
});

test('the check fails on a page whose number differs from its report.json, naming page, line and both numbers', () => {
  const root = fixtureRoot();
  const file = writeResultsPage(root, 'thesis-f1');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('Hessian trace'));
  const changed = lines[at]!.replace(
    /arm - control: ([-+]\d+\.\d+)/,
    (_, x: string) => `arm - control: ${x}1`,
  );
  assert.notEqual(changed, lines[at]);
  lines[at] = changed;
  fs.writeFileSync(file, lines.join('\n'));
  const { problems } = checkResultsPages(root);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(
    problems[0]!,
    new RegExp(
      `thesis-f1\\.md:${at + 1}: [-+]\\d+\\.\\d+1 where its report gives [-+]\\d+\\.\\d+$`,
    ),
  );
});

test('the check fails on a page linking a figure that is not there', () => {
  const root = fixtureRoot();
  writeResultsPage(root, 'thesis-f1');
  fs.rmSync(path.join(root, 'thesis-f1', 'figures', 'gradients-seed-0-arm-256.svg'));
  const { problems } = checkResultsPages(root);
  assert.deepEqual(problems, [
    `${path.join(root, 'thesis-f1.md')}: links thesis-f1/figures/gradients-seed-0-arm-256.svg, which does not exist`,
  ]);
});

test('a page of no known kind, or a study without its report.json, is one line naming it', () => {
  const root = fixtureRoot();
  assert.throws(
    () => resultsPage(root, 'sweep-f1'),
    /^GradscopeInputError: sweep-f1: no page of that kind/,
  );
  fs.rmSync(path.join(root, 'thesis-f1', 'report.json'));
  assert.throws(
    () => resultsPage(root, 'thesis-f1'),
    (e: Error) => e.message.startsWith(path.join(root, 'thesis-f1', 'report.json')),
  );
  const cli = spawnSync(
    process.execPath,
    [path.join(repo, 'scripts', 'results.js'), 'page', 'thesis-f1', '--root', root],
    { encoding: 'utf8' },
  );
  assert.equal(cli.status, 2);
  assert.equal(cli.stderr.trim().split('\n').length, 1, cli.stderr);
});

test('scripts/results.sh leaves the published study untouched when its run fails', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-results-'));
  fs.mkdirSync(path.join(root, 'thesis-f1'));
  fs.writeFileSync(path.join(root, 'thesis-f1.md'), 'the published page\n');
  fs.writeFileSync(path.join(root, 'thesis-f1', 'report.json'), '{"published": true}\n');
  const config = path.join(root, 'broken.yaml');
  fs.writeFileSync(
    config,
    'name: broken\nnetwork: F1\ndata: mnist\nprocess1: { batchSize: 256, epochs: 1, typo: 1 }\nprocess2: { arms: [256], epochs: 1 }\n',
  );
  const run = spawnSync(
    'bash',
    [
      path.join(repo, 'scripts', 'results.sh'),
      'thesis-f1',
      '--config',
      config,
      '--root',
      root,
      '--scratch',
      path.join(root, 'scratch'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /process1\.typo: unknown field/);
  assert.equal(fs.readFileSync(path.join(root, 'thesis-f1.md'), 'utf8'), 'the published page\n');
  assert.equal(
    fs.readFileSync(path.join(root, 'thesis-f1', 'report.json'), 'utf8'),
    '{"published": true}\n',
  );
  assert.deepEqual(fs.readdirSync(root).sort(), [
    'broken.yaml',
    'scratch',
    'thesis-f1',
    'thesis-f1.md',
  ]);
});

test("report.json keeps each analysis point's mean distances per B, and no per-epoch records", () => {
  const summary = (mean: number) => ({ mean, median: mean, min: mean, max: mean });
  const model = {
    name: 'x',
    epochs: [{ kind: 'epoch', seed: 0 }],
    analysis: [
      {
        seed: 0,
        phase: 'arm-256',
        epoch: 3,
        result: {
          d: 2,
          traceF: 5,
          bSimple: 7,
          batchSizes: [
            { batchSize: 256, toTrain: summary(4.5), toTotal: summary(4.75) },
            { batchSize: 5000, toTrain: summary(1.5), toTotal: summary(1.25) },
          ],
        },
      },
    ],
  } as unknown as StudyModel;
  const json = JSON.parse(JSON.stringify(reportJson(model)));
  assert.equal('epochs' in json, false);
  assert.deepEqual(json.analysis, [
    {
      seed: 0,
      phase: 'arm-256',
      epoch: 3,
      d: 2,
      traceF: 5,
      bSimple: 7,
      batchSizes: [
        { batchSize: 256, toTrain: 4.5, toTotal: 4.75 },
        { batchSize: 5000, toTrain: 1.5, toTotal: 1.25 },
      ],
    },
  ]);
});

test('a page whose run was resumed says that the time before is not counted', () => {
  const root = fixtureRoot();
  const file = path.join(root, 'thesis-f1', 'results.json');
  const metadata = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.doesNotMatch(resultsPage(root, 'thesis-f1'), /resumed/);
  fs.writeFileSync(file, JSON.stringify({ ...metadata, resumed: true }));
  assert.match(
    resultsPage(root, 'thesis-f1'),
    /\(79 s; resumed from an earlier, stopped run, whose time is not counted\)/,
  );
});
