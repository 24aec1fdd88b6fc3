// SVG to PNG: a PNG of the requested size (scale x the SVG's), text actually drawn (the
// fonts are found), and malformed SVG rejected rather than rendered.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { GradscopeInputError } from '../../src/core/errors';
import { boxChart } from '../../src/report/box-chart';
import { contourChart } from '../../src/report/contour-chart';
import { histogramChart } from '../../src/report/histogram-chart';
import { lineChart } from '../../src/report/line-chart';
import { svgToPng } from '../../src/report/png';
import { pngSize } from '../fixtures/report-helpers';

/** Counts non-white pixels of an 8-bit RGBA, non-interlaced PNG (what resvg writes). */
function inkedPixels(png: Buffer): number {
  const { width, height } = pngSize(png);
  assert.equal(png[24], 8, 'bit depth');
  assert.equal(png[25], 6, 'RGBA');
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT')
      chunks.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * 4;
  const rows: Buffer[] = [];
  for (let r = 0; r < height; r++) {
    const filter = raw[r * (stride + 1)];
    const line = Buffer.from(raw.subarray(r * (stride + 1) + 1, (r + 1) * (stride + 1)));
    const up = rows[r - 1] ?? Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? line[i - 4] : 0;
      const c = i >= 4 ? up[i - 4] : 0;
      const p = a + up[i] - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - up[i]), Math.abs(p - c)];
      const predict = [
        0,
        a,
        up[i],
        (a + up[i]) >> 1,
        pa <= pb && pa <= pc ? a : pb <= pc ? up[i] : c,
      ][filter];
      line[i] = (line[i] + predict) & 0xff;
    }
    rows.push(line);
  }
  let inked = 0;
  for (const line of rows)
    for (let i = 0; i < stride; i += 4) if (line[i] < 128 && line[i + 3] > 0) inked++;
  return inked;
}

test('renders at the scale asked, with the PNG signature and IHDR size', () => {
  const svg = lineChart({
    title: 'size',
    xLabel: 'x',
    leftLabel: 'y',
    width: 400,
    height: 300,
    series: [
      {
        name: 's',
        axis: 'left',
        points: [
          [0, 1],
          [1, 2],
        ],
      },
    ],
  });
  assert.deepEqual(pngSize(svgToPng(svg)), { width: 800, height: 600 });
  assert.deepEqual(pngSize(svgToPng(svg, { scale: 1 })), { width: 400, height: 300 });
});

test('text renders: a text-only SVG leaves ink', () => {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">` +
    `<rect width="200" height="40" fill="#fff"/>` +
    `<text x="10" y="28" font-family="DejaVu Sans, sans-serif" font-size="20">Gradient α</text></svg>`;
  assert.ok(inkedPixels(svgToPng(svg, { scale: 1 })) > 100);
});

test('malformed SVG and a bad scale are rejected', () => {
  assert.throws(
    () => svgToPng('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>'),
    GradscopeInputError,
  );
  assert.throws(() => svgToPng('<svg/>', { scale: 0 }), /scale/);
});

test('every chart parses in resvg (a strict XML parser) and renders at its size (the box chart about it)', () => {
  const charts = [
    boxChart({
      title: 'b',
      xLabel: 'x',
      yLabel: 'y',
      groups: [{ label: 'g', boxes: [{ name: 'n', values: [1, 2, 3, 40] }] }],
    }),
    histogramChart({
      title: 'h',
      xLabel: 'x',
      yLabel: 'y',
      bins: ['a'],
      series: [{ name: 'n', counts: [3] }],
    }),
    contourChart({
      title: 'c',
      xLabel: 'x',
      yLabel: 'y',
      zLabel: 'z',
      x: [0, 1, 2],
      y: [0, 1],
      z: [
        [0, 1],
        [1, null],
        [2, 3],
      ],
      points: [{ x: 1, y: 0.5, label: 'p <&>' }],
    }),
  ];
  const sizes = charts.map((svg) => pngSize(svgToPng(svg, { scale: 1 })));
  // the box chart is one panel per group (a facet), laid out to about the size asked
  const [box, ...rest] = sizes;
  assert.ok(Math.abs(box!.width - 720) < 0.15 * 720 && Math.abs(box!.height - 460) < 0.15 * 460);
  assert.deepEqual(rest, [
    { width: 720, height: 460 },
    { width: 640, height: 520 },
  ]);
});
