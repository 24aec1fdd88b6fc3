/**
 * The charts as Vega-Lite specs: each returns a well-formed static SVG (Vega's renderer)
 * carrying its spec; the spec holds exactly the data given (a null or, on a log axis, a
 * non-positive y as null, which breaks the drawn line); boxes hold numpy-convention
 * statistics; bad specs are rejected by name before anything is drawn.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { boxChart } from '../../src/report/box-chart';
import { boxStats } from '../../src/report/box-stats';
import { contourChart } from '../../src/report/contour-chart';
import { histogramChart } from '../../src/report/histogram-chart';
import { lineChart, SERIES_TOGGLE, ZOOM } from '../../src/report/line-chart';
import { specOfSvg } from '../../src/report/vega-lite';
import { assertWellFormed, texts } from '../fixtures/report-helpers';

type Rows = Record<string, unknown>[];
/** Every inline data set of a spec, in order. */
function dataOf(spec: unknown): Rows[] {
  const out: Rows[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const data = n.data as { values?: Rows } | undefined;
    if (data?.values) out.push(data.values);
    for (const key of ['layer', 'spec']) {
      const child = n[key];
      if (Array.isArray(child)) child.forEach(walk);
      else walk(child);
    }
  };
  walk(spec);
  return out;
}

test('a line chart: titles, legend and markers drawn; nulls and non-positive log values break the line', () => {
  const svg = lineChart({
    title: 'Loss <&> along the line',
    xLabel: 'alpha',
    leftLabel: 'loss',
    rightLabel: 'accuracy (%)',
    logLeft: true,
    series: [
      {
        name: 'train',
        axis: 'left',
        points: [
          [0, 1],
          [1, 2],
          [2, null],
          [3, 3],
          [4, -1],
          [5, 4],
          [6, 5],
        ],
      },
      {
        name: 'test',
        axis: 'right',
        dash: true,
        points: [
          [0, 90],
          [6, 80],
        ],
      },
    ],
    markers: [{ x: 1, label: 'w_b' }],
  });
  assertWellFormed(svg);
  const words = texts(svg).join(' ');
  for (const w of [
    'Loss &lt;&amp;&gt; along the line',
    'alpha',
    'loss',
    'accuracy (%)',
    'train',
    'test',
    'w_b',
  ])
    assert.ok(words.includes(w), w);
  const spec = specOfSvg(svg)!;
  const [left, right] = dataOf(spec);
  assert.deepEqual(
    left!.map((r) => r.y),
    [1, 2, null, 3, null, 4, 5],
  );
  assert.deepEqual(
    right!.map((r) => [r.x, r.y]),
    [
      [0, 90],
      [6, 80],
    ],
  );
  // the drawn train line: three runs, [0, 1], [3] (a point alone: no segment) and [5, 6]
  const lines = [...svg.matchAll(/<g class="mark-line[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].map(
    (m) => m[1]!,
  );
  const trainPath = /d="([^"]+)"/.exec(lines[0]!)![1]!;
  assert.equal(trainPath.match(/M/g)!.length, 3);
  // interactive: a legend toggle and pan/zoom
  const json = JSON.stringify(spec);
  assert.ok(json.includes(`"name":"${SERIES_TOGGLE}"`) && json.includes('"bind":"legend"'));
  assert.ok(json.includes(`"name":"${ZOOM}"`) && json.includes('"bind":"scales"'));
});

test('a histogram holds the counts given, per bin and series', () => {
  const svg = histogramChart({
    title: 'h',
    xLabel: 'bin',
    yLabel: 'count',
    bins: ['[0, 0.5)', '>= 0.5'],
    series: [
      { name: 'B = 10', counts: [3, 0] },
      { name: 'B = 50', counts: [1, 2] },
    ],
  });
  assertWellFormed(svg);
  assert.deepEqual(
    dataOf(specOfSvg(svg))[0]!.map((r) => [r.series, r.bin, r.count]),
    [
      ['B = 10', '[0, 0.5)', 3],
      ['B = 10', '>= 0.5', 0],
      ['B = 50', '[0, 0.5)', 1],
      ['B = 50', '>= 0.5', 2],
    ],
  );
});

test('boxes hold the numpy-convention statistics of their values, outliers apart', () => {
  const values = [1, 2, 3, 4, 5, 6, 7, 40];
  const svg = boxChart({
    title: 'b',
    xLabel: 'epoch',
    yLabel: 'distance',
    groups: [{ label: '1', boxes: [{ name: 'B = 10', values }] }],
  });
  assertWellFormed(svg);
  const rows = dataOf(specOfSvg(svg))[0]!;
  const s = boxStats(values)!;
  const box = rows.find((r) => r.kind === 'box')!;
  for (const k of ['q1', 'median', 'q3', 'whiskerLow', 'whiskerHigh', 'n'] as const)
    assert.equal(box[k], s[k], k);
  assert.deepEqual(
    rows.filter((r) => r.kind === 'outlier').map((r) => r.value),
    [40],
  );
});

test('a surface colours each grid cell, an undefined value grey, and marks the points', () => {
  const svg = contourChart({
    title: 'c',
    xLabel: 'x',
    yLabel: 'y',
    zLabel: 'loss',
    x: [0, 1, 2],
    y: [0, 1],
    z: [
      [1, 2],
      [3, null],
      [4, 5],
    ],
    logZ: true,
    points: [{ x: 1, y: 0.5, label: 'w_a' }],
  });
  assertWellFormed(svg);
  const [cells, points] = dataOf(specOfSvg(svg));
  assert.equal(cells!.length, 6);
  const missing = cells!.find((c) => c.z === null)!;
  assert.deepEqual([missing.x, missing.y, missing.x0, missing.x1], [1, 1, 0.5, 1.5]);
  assert.deepEqual(points, [{ x: 1, y: 0.5, label: 'w_a' }]);
  assert.ok(svg.includes('#dddddd'), 'the undefined cell is grey');
  assert.ok(texts(svg).includes('w_a'));
});

test('bad specs are rejected by name', () => {
  assert.throws(
    () =>
      lineChart({
        title: 't',
        xLabel: 'x',
        leftLabel: 'y',
        series: [{ name: 's', axis: 'right', points: [[0, 1]] }],
      }),
    /rightLabel/,
  );
  assert.throws(
    () =>
      histogramChart({
        title: 'h',
        xLabel: 'x',
        yLabel: 'y',
        bins: ['a', 'b'],
        series: [{ name: 's', counts: [1] }],
      }),
    /series\[0\]\.counts/,
  );
  assert.throws(
    () =>
      contourChart({
        title: 'c',
        xLabel: 'x',
        yLabel: 'y',
        zLabel: 'z',
        x: [0, 1],
        y: [0, 1],
        z: [[1, 2]],
      }),
    /for z/,
  );
  assert.throws(
    () =>
      boxChart({
        title: 'b',
        xLabel: 'x',
        yLabel: 'y',
        groups: [{ label: 'g', boxes: [{ name: 'n', values: [1, NaN] }] }],
      }),
    /groups\[0\]\.boxes\[0\]\.values\[1\]/,
  );
});
