// Contour chart: the bands tile the grid exactly (no gaps, no overlaps, each band the area
// its levels imply for a linear ramp), isolines lie where the value equals their level,
// z[i][j] is the value at (x[i], y[j]), undefined values leave holes, and points are marked.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { contourChart, type ContourChartSpec } from '../src/report/contour-chart';
import { area, assertWellFormed, count, pathData, subpaths, texts } from './report-helpers';

const x = [0, 1, 2, 3, 4];
const y = [0, 1, 2];

function ramp(f: (a: number, b: number) => number | null): ContourChartSpec {
  return {
    title: 'Surface',
    xLabel: 'alpha',
    yLabel: 'beta',
    zLabel: 'loss',
    x,
    y,
    z: x.map((a) => y.map((b) => f(a, b))),
  };
}

function bands(svg: string): [number, number][][][] {
  return pathData(svg, 'band').map(subpaths);
}

function bounds(svg: string) {
  const points = bands(svg).flat(2);
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
}

test('bands tile the grid: a linear ramp in x gives equal bands of equal area', () => {
  const svg = contourChart(ramp((a) => a));
  assertWellFormed(svg);
  const b = bounds(svg);
  const total = (b.x1 - b.x0) * (b.y1 - b.y0);
  const areas = bands(svg).map((polys) => polys.reduce((s, p) => s + area(p), 0));
  assert.equal(areas.length, 8, 'levels 0, 0.5, ..., 4');
  const sum = areas.reduce((s, a) => s + a, 0);
  assert.ok(Math.abs(sum - total) < total * 1e-3, `${sum} vs ${total}`);
  areas.forEach((a) => assert.ok(Math.abs(a - total / 8) < total * 1e-3, `${a} vs ${total / 8}`));
  for (const label of ['Surface', 'alpha', 'beta', 'loss', '0.0', '4.0'])
    assert.ok(texts(svg).includes(label), label);
});

test('isolines lie at their level: vertical for z = x, horizontal for z = y', () => {
  const vertical = contourChart(ramp((a) => a));
  const b = bounds(vertical);
  const lines = pathData(vertical, 'isoline').map(subpaths);
  assert.equal(lines.length, 7, 'the inner levels 0.5, ..., 3.5');
  lines.forEach((line, k) => {
    assert.equal(line.length, 1, 'one chained polyline');
    const want = b.x0 + ((b.x1 - b.x0) * (k + 1) * 0.5) / 4;
    line[0].forEach(([px]) => assert.ok(Math.abs(px - want) < 0.02, `${px} vs ${want}`));
  });
  const horizontal = contourChart(ramp((_, c) => c));
  const first = subpaths(pathData(horizontal, 'isoline')[0])[0];
  assert.ok(first.every(([, py]) => Math.abs(py - first[0][1]) < 0.02));
  const lowest = bands(horizontal)[0].flat();
  const hb = bounds(horizontal);
  assert.ok(
    lowest.every(([, py]) => py > (hb.y0 + hb.y1) / 2),
    'low y values at the bottom',
  );
});

test('an undefined value leaves its cells blank', () => {
  const svg = contourChart(ramp((a, c) => (a === 0 && c === 0 ? null : a)));
  const b = bounds(svg);
  const total = (b.x1 - b.x0) * (b.y1 - b.y0);
  const sum = bands(svg)
    .flat()
    .reduce((s, p) => s + area(p), 0);
  assert.ok(Math.abs(sum - (total * 7) / 8) < total * 1e-3, 'one of the eight cells is missing');
});

test('log levels, marked points and a colour bar', () => {
  const svg = contourChart({
    ...ramp((a, c) => 0.01 * 10 ** a + c),
    logZ: true,
    points: [
      { x: 0, y: 0, label: 'SB' },
      { x: 1, y: 0, label: 'LB' },
    ],
  });
  assertWellFormed(svg);
  assert.equal(count(svg, /<g class="point"/g), 2);
  assert.ok(texts(svg).includes('SB') && texts(svg).includes('LB'));
  assert.equal(count(svg, /<g class="colorbar"/g), 1);
  for (const label of ['0.01', '1', '100']) assert.ok(texts(svg).includes(label), label);
});

test('rejects a z of the wrong shape or unsorted coordinates', () => {
  const wrong = ramp((a) => a);
  wrong.z = wrong.z.slice(1);
  assert.throws(() => contourChart(wrong), /5 rows of 3 values/);
  assert.throws(() => contourChart({ ...ramp((a) => a), x: [0, 2, 1, 3, 4] }), /increasing/);
});
