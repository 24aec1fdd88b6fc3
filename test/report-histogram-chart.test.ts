// Histogram chart: one bar per non-zero count, side by side per bin, bin labels as given
// (slanted when crowded), a legend entry per series, and counts checked against the bins.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { histogramChart, type HistogramChartSpec } from '../src/report/histogram-chart';
import { assertWellFormed, count, texts } from './report-helpers';

const bins = Array.from({ length: 20 }, (_, i) => `[${i / 2}, ${(i + 1) / 2})`).concat(['>= 10']);

function spec(): HistogramChartSpec {
  return {
    title: 'Histogram',
    xLabel: 'distance / d',
    yLabel: 'batches',
    bins,
    series: [
      { name: 'B = 256', counts: bins.map((_, i) => (i < 8 ? 10 + i : 0)) },
      { name: 'B = 5000', counts: bins.map((_, i) => (i < 3 ? 30 : i === 20 ? 1 : 0)) },
    ],
  };
}

test('draws a bar per non-zero count with the bin labels and legend', () => {
  const svg = histogramChart(spec());
  assertWellFormed(svg);
  assert.equal(count(svg, /<rect class="bar"/g), 8 + 4);
  const words = texts(svg);
  for (const label of [
    'Histogram',
    'distance / d',
    'batches',
    'B = 256',
    'B = 5000',
    '[0, 0.5)',
    '>= 10',
  ])
    assert.ok(words.includes(label), label);
  assert.ok(count(svg, /rotate\(-40/g) >= bins.length, '21 bins in 720 px slant their labels');
});

test('y ticks start at zero and cover the largest count', () => {
  const words = texts(histogramChart(spec()));
  assert.ok(
    words.includes('0') && (words.includes('30') || words.includes('35') || words.includes('40')),
  );
});

test('rejects counts that do not match the bins', () => {
  const bad = spec();
  bad.series[1].counts.pop();
  assert.throws(
    () => histogramChart(bad),
    /21 counts >= 0 \(one per bin\) for series\[1\]\.counts/,
  );
  const negative = spec();
  negative.series[0].counts[0] = -1;
  assert.throws(() => histogramChart(negative), /series\[0\]\.counts/);
});
