// Box chart: one box per (group, name), outliers as dots, a legend entry per name (colour
// kept across groups), the median drawn where box-stats puts it, and bad specs rejected.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { boxChart, type BoxChartSpec } from '../src/report/box-chart';
import { assertWellFormed, count, pathData, texts } from './report-helpers';

function spec(): BoxChartSpec {
  return {
    title: 'Distances',
    xLabel: 'epoch',
    yLabel: '|g_B - g_total| / d',
    groups: [10, 20, 30].map((e) => ({
      label: `epoch ${e}`,
      boxes: [
        { name: 'B = 256', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100] },
        { name: 'B = 5000', values: [0.5, 0.6, 0.7, 0.8] },
      ],
    })),
  };
}

test('draws every box with its outliers, titles and legend', () => {
  const svg = boxChart(spec());
  assertWellFormed(svg);
  assert.equal(count(svg, /<g class="box"/g), 6);
  assert.equal(count(svg, /class="outlier"/g), 3, 'the 100 in each B = 256 box');
  assert.equal(count(svg, /<path class="median"/g), 6);
  const words = texts(svg);
  for (const label of ['Distances', 'epoch', '|g_B - g_total| / d', 'epoch 10', 'epoch 30'])
    assert.ok(words.includes(label), label);
  assert.equal(words.filter((w) => w === 'B = 256').length, 1, 'one legend entry per name');
  assert.ok(words.includes('B = 5000'));
  const colors = [
    ...svg.matchAll(/<g class="box" data-box="B = 256">.*?stroke="(#[0-9A-Fa-f]+)"/g),
  ];
  assert.equal(new Set(colors.map((m) => m[1])).size, 1, 'same colour in every group');
});

test('the y axis covers the outliers with nice ticks', () => {
  const words = texts(boxChart(spec()));
  assert.ok(words.includes('0') && words.includes('100'), words.join(' '));
});

test('the median line is drawn at the median on the y axis', () => {
  const one: BoxChartSpec = {
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    groups: [{ label: 'g', boxes: [{ name: 'n', values: [0, 10, 2, 8, 4, 6] }] }],
  };
  const svg = boxChart(one);
  const medianY = Number(pathData(svg, 'median')[0].match(/^M[\d.]+ ([\d.]+)/)![1]);
  const grid = svg.match(/<path class="grid" d="([^"]*)"/)![1];
  const ys = [...grid.matchAll(/M[\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
  const [zeroY, tenY] = [ys[0], ys[ys.length - 1]]; // the ticks run from 0 to 10
  assert.ok(Math.abs(medianY - (zeroY + (tenY - zeroY) * 0.5)) < 0.02, 'median 5 of [0, 10]');
});

test('rejects non-finite values by position', () => {
  const bad = spec();
  bad.groups[1].boxes[0].values[3] = Infinity;
  assert.throws(() => boxChart(bad), /groups\[1\]\.boxes\[0\]\.values\[3\]/);
});
