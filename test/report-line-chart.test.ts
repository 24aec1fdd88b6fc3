// Line chart: well-formed SVG with its titles, legend and one path per series; null
// points break a line (and a lone point becomes a dot); right axis and markers; bad specs.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { GradscopeInputError } from '../src/engine/errors';
import { lineChart, type LineChartSpec } from '../src/report/line-chart';
import { assertWellFormed, count, pathData, subpaths, texts } from './report-helpers';

const alphas = Array.from({ length: 11 }, (_, i) => -2 + i * 0.5);

function keskar(): LineChartSpec {
  return {
    title: 'Loss along the line',
    xLabel: 'alpha',
    leftLabel: 'cross-entropy',
    rightLabel: 'accuracy',
    series: [
      { name: 'train loss', axis: 'left', points: alphas.map((a) => [a, 0.1 + a * a]) },
      { name: 'test loss', axis: 'left', dash: true, points: alphas.map((a) => [a, 0.2 + a * a]) },
      { name: 'train acc', axis: 'right', points: alphas.map((a) => [a, 1 / (1 + a * a)]) },
    ],
    markers: [
      { x: 0, label: 'w_a' },
      { x: 1, label: 'w_b' },
    ],
  };
}

test('has the titles, legend entries, markers and one path per series', () => {
  const svg = lineChart(keskar());
  assertWellFormed(svg);
  const words = texts(svg);
  for (const label of ['Loss along the line', 'alpha', 'cross-entropy', 'accuracy'])
    assert.ok(words.includes(label), label);
  for (const name of ['train loss', 'test loss', 'train acc'])
    assert.ok(words.includes(name), name);
  assert.ok(words.includes('w_a') && words.includes('w_b'));
  assert.equal(count(svg, /<path class="series"/g), 3);
  assert.equal(count(svg, /<path class="marker"/g), 2);
  assert.equal(count(svg, /class="axis-right"/g), 1);
  const lines = pathData(svg, 'series').map(subpaths);
  assert.deepEqual(
    lines.map((l) => l.map((run) => run.length)),
    [[11], [11], [11]],
  );
  assert.equal(count(svg, /stroke-dasharray="7 4"/g), 2, 'test loss line and its legend swatch');
});

test('x ticks are nice and span the data', () => {
  const svg = lineChart(keskar());
  for (const label of ['\u22122', '\u22121', '0', '1', '2', '3'])
    assert.ok(texts(svg).includes(label), label);
});

test('a null point breaks the line; an isolated point is a dot', () => {
  const spec = keskar();
  spec.series[0].points[4][1] = null; // alpha = 0: two runs of 4 and 6
  spec.series[1].points[1][1] = null; // alpha = -1.5: a lone point at -2, then a run of 9
  const svg = lineChart(spec);
  assertWellFormed(svg);
  const [train, test] = pathData(svg, 'series').map(subpaths);
  assert.deepEqual(
    train.map((r) => r.length),
    [4, 6],
  );
  assert.deepEqual(
    test.map((r) => r.length),
    [9],
  );
  assert.equal(count(svg, /<circle /g), 1);
});

test('a log left axis breaks at non-positive values and gets decade ticks', () => {
  const svg = lineChart({
    title: 'log',
    xLabel: 'epoch',
    leftLabel: 'loss',
    logLeft: true,
    series: [
      {
        name: 'loss',
        axis: 'left',
        points: [
          [1, 2],
          [2, 0.3],
          [3, 0],
          [4, 0.02],
          [5, 0.01],
        ],
      },
    ],
  });
  assertWellFormed(svg);
  assert.deepEqual(
    subpaths(pathData(svg, 'series')[0]).map((r) => r.length),
    [2, 2],
  );
  for (const label of ['0.01', '0.1', '1']) assert.ok(texts(svg).includes(label), label);
  assert.equal(count(svg, /class="axis-right"/g), 0);
});

test('names are escaped, not markup', () => {
  const spec = keskar();
  spec.series[0].name = 'a <b> & "c"';
  const svg = lineChart(spec);
  assertWellFormed(svg);
  assert.ok(texts(svg).includes('a <b> & "c"'));
});

test('rejects bad specs by name', () => {
  const noLabel = keskar();
  delete noLabel.rightLabel;
  assert.throws(() => lineChart(noLabel), /rightLabel/);
  const badX = keskar();
  badX.series[0].points[2][0] = NaN;
  assert.throws(() => lineChart(badX), GradscopeInputError);
  assert.throws(() => lineChart({ ...keskar(), series: [] }), /non-empty array for series/);
  assert.throws(() => lineChart({ ...keskar(), width: 10 }), /width/);
});
