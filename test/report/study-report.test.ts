/**
 * The study end to end on a small config: the report opens in headless Chromium with no
 * console errors, every figure is there (the live noise scale's too), and the summary table's
 * numbers are those of the run's files; a run killed at a random moment and resumed gives the
 * same report numbers as an uninterrupted one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import type { TrajectoryResult } from '../../src/analysis/trajectory';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { noChromium, openBrowser, watchedPage } from '../fixtures/browser';
import { smallStudy } from '../fixtures/study-fixture';

const cli = path.join(__dirname, '..', '..', '..', 'bin', 'gradscope.js');

function gradscope(args: string[]): Promise<number | null> {
  return new Promise((resolve) =>
    spawn(process.execPath, [cli, ...args], { stdio: 'ignore' }).on('exit', (code) =>
      resolve(code),
    ),
  );
}

const { dir, configFile } = smallStudy();
const whole = path.join(dir, 'whole');
const ready = gradscope(['run', configFile, '--threads', '1', '--quiet', '--out', whole]);

test('the study writes every part of its run directory', async () => {
  assert.equal(await ready, 0);
  for (const f of [
    'config.json',
    'report.html',
    'report.json',
    'tables/gradients.md',
    'tables/gradients-summary.csv',
  ])
    assert.ok(fs.existsSync(path.join(whole, f)), f);
  assert.deepEqual(fs.readdirSync(path.join(whole, 'lines')), [
    'seed-0-arm-10-arm-50.json',
    'seed-1-arm-10-arm-50.json',
  ]);
  const analysis = fs.readdirSync(path.join(whole, 'seeds', '0', 'analysis')).sort();
  assert.deepEqual(analysis, [
    'arm-10-epoch-4.json',
    'arm-10-epoch-5.json',
    'arm-50-epoch-4.json',
    'arm-50-epoch-5.json',
    'process1-epoch-3.json',
  ]);
  assert.ok(fs.readdirSync(path.join(whole, 'figures')).some((f) => f.endsWith('.png')));
  assert.ok(fs.existsSync(path.join(whole, 'figures', 'hessian-density-seed-0.svg')));
  const html = fs.readFileSync(path.join(whole, 'report.html'), 'utf8');
  assert.match(html, /id="sharpness-layers-table"/);
  assert.match(html, /Draws: nested/);
  assert.match(
    fs.readFileSync(path.join(whole, 'tables', 'gradients.md'), 'utf8'),
    /parameter group/,
  );
  assert.deepEqual(fs.readdirSync(path.join(whole, 'sharpness')).sort(), [
    'seed-0-arm-10.json',
    'seed-0-arm-50.json',
    'seed-1-arm-10.json',
    'seed-1-arm-50.json',
  ]);
  const sharpness = JSON.parse(
    fs.readFileSync(path.join(whole, 'sharpness', 'seed-0-arm-10.json'), 'utf8'),
  ) as { hessian: { eigen: string } };
  assert.equal(sharpness.hessian.eigen, 'power', 'sharpness.eigen reaches the measurement');
  // per-layer figures beside the per-layer tables
  assert.match(html, /data-layers-table="gradients-layers-seed-0-process1-epoch-3"/);
  assert.match(html, /data-figure="gradients-layers-seed-0-process1-epoch-3"/);
  assert.match(html, /data-figure="sharpness-layers-seed-0-arm-50"/);
  assert.ok(fs.existsSync(path.join(whole, 'figures', 'sharpness-layers-seed-1-arm-10.svg')));
  // training trajectories: one plane per seed, in the report with its figure
  assert.deepEqual(fs.readdirSync(path.join(whole, 'trajectories')).sort(), [
    'seed-0.json',
    'seed-1.json',
  ]);
  assert.match(html, /<section id="trajectories"><h2>Training trajectories<\/h2>/);
  assert.match(html, /data-figure="trajectory-seed-1"/);
  assert.ok(fs.existsSync(path.join(whole, 'figures', 'trajectory-seed-0.png')));
  // the live noise scale: B_simple along training, a guide where the arms branch
  assert.match(
    html,
    /<section id="live-noise-scale"><h2>The gradient noise scale during training<\/h2>/,
  );
  assert.match(html, /data-figure="live-noise-scale-1"/);
  assert.match(
    fs.readFileSync(path.join(whole, 'figures', 'live-noise-scale-seed-0.svg'), 'utf8'),
    />arms branch \(epoch 3\)</, // the guide's label, drawn
  );
});

test('the study trajectory: process 1 and every arm in one plane, the arms leaving from the branch point', () =>
  ready.then((code) => {
    assert.equal(code, 0);
    for (const seed of [0, 1]) {
      const t = JSON.parse(
        fs.readFileSync(path.join(whole, 'trajectories', `seed-${seed}.json`), 'utf8'),
      ) as TrajectoryResult & { seed: number };
      assert.equal(t.seed, seed);
      assert.deepEqual(
        t.paths.map((p) => p.label),
        ['process1', 'arm-10', 'arm-50'],
      );
      const process1 = t.paths[0]!;
      assert.deepEqual(
        process1.points.map((q) => q.epoch),
        [1, 2, 3],
      );
      const branch = process1.points.at(-1)!; // a fixed count of epochs: the last one
      for (const arm of t.paths.slice(1)) {
        assert.deepEqual(
          arm.points.map((q) => q.epoch),
          [3, 4, 5],
        );
        // the arm starts at the branch point's projection, exactly
        assert.equal(arm.points[0]!.file, branch.file);
        assert.equal(arm.points[0]!.x, branch.x);
        assert.equal(arm.points[0]!.y, branch.y);
        // and leaves it
        assert.notDeepEqual([arm.points[1]!.x, arm.points[1]!.y], [branch.x, branch.y]);
      }
      // the origin is the last checkpoint of the largest-B arm
      const last = t.paths[2]!.points.at(-1)!;
      assert.equal(t.final.file, last.file);
      assert.equal(
        t.final.file,
        path.join('seeds', String(seed), 'checkpoints', 'arm-50', 'epoch-0005.safetensors'),
      );
      assert.ok(Math.abs(last.x) < 1e-9 && Math.abs(last.y) < 1e-9);
      assert.equal(t.xs.length, 4);
      assert.equal(t.loss.length, 4);
      assert.ok(t.loss.flat().every((v) => Number.isFinite(v) && v > 0));
      assert.ok(t.explained[0] >= t.explained[1] && t.explained[0] + t.explained[1] <= 1 + 1e-12);
    }
  }));

test('the report renders in headless Chromium: no console errors, every figure, the summary equals the run files', async (t) => {
  const skip = noChromium();
  if (skip) return t.skip(skip);
  assert.equal(await ready, 0);
  const { browser, close } = await openBrowser();
  try {
    const { page, problems } = await watchedPage(browser, 'file:');
    await page.goto(`file://${path.join(whole, 'report.html')}`);
    assert.deepEqual(problems, []);
    // the sections and their figures
    for (const id of [
      'summary',
      'training',
      'experiment-a',
      'experiment-b',
      'beyond',
      'trajectories',
      'timings',
      'config',
    ])
      assert.equal(await page.locator(`section#${id}`).count(), 1, id);
    const figures = await page.locator('figure[data-figure]').evaluateAll((els) =>
      els.map((e) => ({
        id: e.getAttribute('data-figure'),
        svgs: e.querySelectorAll('svg').length,
        width: e.getBoundingClientRect().width,
      })),
    );
    const ids = figures.map((f) => f.id);
    for (const seed of [0, 1]) {
      assert.ok(ids.includes(`curves-accuracy-${seed}`));
      assert.ok(ids.includes(`line-seed-${seed}-arm-10-arm-50`));
      for (const phase of ['process1', 'arm-10', 'arm-50'])
        assert.ok(ids.includes(`gradients-seed-${seed}-${phase}`), phase);
      assert.ok(ids.includes(`noise-scale-${seed}`));
      assert.ok(ids.includes(`density-${seed}`));
      assert.ok(ids.includes(`trajectory-seed-${seed}`));
    }
    for (const f of figures) {
      assert.equal(f.svgs, 1, `${f.id} has its figure`);
      assert.ok(f.width > 200, `${f.id} is drawn`);
    }
    assert.equal(await page.locator('[data-scale="demo"]').count(), 1, 'labelled as demo scale');
    // summary numbers against metrics.jsonl of each seed
    const finals = (phase: string) =>
      [0, 1].map((seed) =>
        readMetrics(path.join(whole, 'seeds', String(seed), 'metrics.jsonl'))
          .filter((r): r is EpochRecord => r.kind === 'epoch' && r.phase === phase)
          .pop()!,
      );
    for (const phase of ['process1', 'arm-10', 'arm-50']) {
      const row = page.locator('#summary-table tr', {
        has: page.locator(`td[data-phase="${phase}"]`),
      });
      for (const metric of ['trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'] as const) {
        const shown = Number(
          await row.locator(`td[data-metric="${metric}"]`).getAttribute('data-value'),
        );
        const values = finals(phase).map((r) => r[metric]);
        const mean = (values[0]! + values[1]!) / 2;
        assert.ok(
          Math.abs(shown - mean) <= 1e-12 * Math.max(1, Math.abs(mean)),
          `${phase} ${metric}: ${shown} vs ${mean}`,
        );
        const text = await row.locator(`td[data-metric="${metric}"]`).innerText();
        const std = Math.abs(values[0]! - values[1]!) / Math.SQRT2;
        const expected = metric.endsWith('Accuracy')
          ? `${(100 * mean).toFixed(2)}% ± ${(100 * std).toFixed(2)}%`
          : undefined;
        if (expected) assert.equal(text, expected);
      }
    }
  } finally {
    await close();
  }
});

test('report.html figures are live: hovering a point of the line shows its alpha and loss, the legend toggles a series; nothing leaves the file; figures/ keeps SVG and PNG', async (t) => {
  const skip = noChromium();
  if (skip) return t.skip(skip);
  assert.equal(await ready, 0);
  const figuresDir = path.join(whole, 'figures');
  const names = fs.readdirSync(figuresDir);
  for (const stem of [
    'line-seed-0-arm-10-arm-50',
    'curves-accuracy-seed-0',
    'gradients-seed-0-arm-10',
  ])
    for (const ext of ['svg', 'png']) assert.ok(names.includes(`${stem}.${ext}`), `${stem}.${ext}`);
  const { browser, close } = await openBrowser();
  try {
    const { page, problems } = await watchedPage(browser, 'file:');
    await page.goto(`file://${path.join(whole, 'report.html')}`);
    const figures = await page.locator('div.vega-figure').count();
    assert.ok(figures >= 10, `${figures} live figures`);
    await page.waitForFunction(
      `document.querySelectorAll('div.vega-figure.vega-embed svg.marks').length === ${figures}`,
    );
    const line = JSON.parse(
      fs.readFileSync(path.join(whole, 'lines', 'seed-0-arm-10-arm-50.json'), 'utf8'),
    ) as { points: { alpha: number; train: { loss: number }; test: { loss: number } }[] };
    const figure = page.locator('figure[data-figure="line-seed-0-arm-10-arm-50"]');
    const symbols = figure.locator('g.mark-symbol path');
    const n = await symbols.count();
    assert.ok(n >= line.points.length * 2, `${n} points drawn`);
    // hover points until one of a cross-entropy series: its tooltip names alpha and loss
    let checked = 0;
    for (let k = 0; k < n && checked < 3; k++) {
      await symbols.nth(k).hover({ force: true });
      const tip = page.locator('#vg-tooltip-element.visible');
      await tip.waitFor();
      const text = (await tip.innerText()).replace(/\u2212/g, '-');
      if (!text.includes('cross-entropy')) continue;
      const numbers = (label: RegExp) => Number(label.exec(text)![1]);
      const alpha = numbers(/α[^:\n]*:?\s*\n?\s*(-?[\d.e+-]+)/);
      const loss = numbers(/cross-entropy \(log scale\)\s*:?\s*\n?\s*(-?[\d.e+-]+)/);
      const set = text.includes('test cross-entropy') ? 'test' : 'train';
      const p = line.points.find((q) => Math.abs(q.alpha - alpha) < 1e-6);
      assert.ok(p, `a point at alpha ${alpha}: ${text}`);
      assert.ok(
        Math.abs(p[set].loss - loss) <= 1e-5 * Math.abs(p[set].loss),
        `${set} loss at alpha ${alpha}: shown ${loss}, is ${p[set].loss}`,
      );
      checked++;
    }
    assert.ok(checked > 0, 'a cross-entropy point was hovered');
    // the legend toggles: clicking one series dims the others' points
    const dim = () =>
      symbols.evaluateAll((els) => els.filter((e) => e.getAttribute('opacity') === '0.12').length);
    assert.equal(await dim(), 0);
    await figure.locator('g.role-legend-label text', { hasText: 'test cross-entropy' }).click();
    await page.waitForFunction((sel) => {
      const all = [...(globalThis as any).document.querySelectorAll(sel)];
      return all.some((e: any) => e.getAttribute('opacity') === '0.12');
    }, 'figure[data-figure="line-seed-0-arm-10-arm-50"] g.mark-symbol path');
    assert.ok((await dim()) >= line.points.length * 3 - 3, 'the three other series are dimmed');
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('killed at a random moment and resumed, the study reports the same numbers', async () => {
  assert.equal(await ready, 0);
  const killed = path.join(dir, 'killed');
  // a moment somewhere in the run: training, Experiment B, or a line
  const delay = 300 + Math.floor(Math.random() * 1500);
  const child = spawn(
    process.execPath,
    [cli, 'run', configFile, '--threads', '1', '--quiet', '--out', killed],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, delay));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const resumed = fs.existsSync(path.join(killed, 'config.json'))
    ? await gradscope(['run', configFile, '--threads', '1', '--quiet', '--out', killed, '--resume'])
    : await gradscope(['run', configFile, '--threads', '1', '--quiet', '--out', killed]);
  assert.equal(resumed, 0, `resumed after ${delay} ms`);
  const numbers = (run: string) => {
    const r = JSON.parse(fs.readFileSync(path.join(run, 'report.json'), 'utf8'));
    return {
      summary: r.summary,
      lines: r.lines.map((l: { points: unknown; best: unknown }) => [l.points, l.best]),
      analysis: r.analysis,
      trajectories: r.trajectories.map(
        (t: { paths: unknown; xs: unknown; ys: unknown; loss: unknown }) => [
          t.paths,
          t.xs,
          t.ys,
          t.loss,
        ],
      ),
    };
  };
  assert.deepEqual(numbers(killed), numbers(whole), `killed after ${delay} ms`);
});
