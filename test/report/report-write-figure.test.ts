// Writing a figure: NAME.svg and NAME.png side by side, nothing else left in the folder,
// and nothing written at all for a bad name or an SVG that cannot be rendered.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { histogramChart } from '../../src/report/histogram-chart';
import { writeFigure } from '../../src/report/write-figure';
import { pngSize } from '../fixtures/report-helpers';

const made: string[] = [];
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-figure-')));
  return made[made.length - 1];
}

const svg = histogramChart({
  title: 'h',
  xLabel: 'bin',
  yLabel: 'count',
  bins: ['a', 'b'],
  series: [{ name: 's', counts: [1, 2] }],
  width: 300,
  height: 200,
});

test('writes NAME.svg and NAME.png into a new folder', () => {
  const dir = path.join(tempDir(), 'figures', 'c1');
  const files = writeFigure(dir, 'histogram-epoch10', svg, { scale: 1 });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['histogram-epoch10.png', 'histogram-epoch10.svg']);
  assert.equal(fs.readFileSync(files.svg, 'utf8'), svg);
  assert.deepEqual(pngSize(fs.readFileSync(files.png)), { width: 300, height: 200 });
});

test('a bad name or an unrenderable SVG writes nothing', () => {
  const dir = tempDir();
  assert.throws(() => writeFigure(dir, '../escape', svg), /figure name/);
  assert.throws(() => writeFigure(dir, '..', svg), /figure name/);
  assert.throws(() => writeFigure(dir, 'bad', '<svg><g></svg>'), /cannot render SVG/);
  assert.deepEqual(fs.readdirSync(dir), []);
});
