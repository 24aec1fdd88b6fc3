// SVG helpers: escaping, nice ticks that cover the data with 1-2-2.5-5 steps, log ticks,
// tick labels with uniform decimals, and the colour-blind-safe palette.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  DASHED,
  PALETTE,
  escapeXml,
  formatNumber,
  formatTicks,
  logTicks,
  niceTicks,
  num,
  textWidth,
} from '../src/report/svg';

function isNiceStep(step: number): boolean {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 2.5, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9);
}

test('escapes the five XML specials', () => {
  assert.equal(escapeXml(`a<b>&"c'`), 'a&#60;b&#62;&#38;&#34;c&#39;');
  assert.equal(num(-0.001), '0');
  assert.equal(num(12.3456), '12.35');
});

test('nice ticks cover the data range with a nice, even step', () => {
  const ranges: [number, number][] = [
    [0, 1],
    [0.013, 0.987],
    [-2, 3],
    [1, 100],
    [2.31, 2.34],
    [-1234, 56789],
    [1e-7, 3e-7],
    [0.5, 0.5],
  ];
  for (const [min, max] of ranges) {
    const ticks = niceTicks(min, max, 5);
    assert.ok(
      ticks[0] <= min && ticks[ticks.length - 1] >= max,
      `${ticks} covers [${min}, ${max}]`,
    );
    assert.ok(ticks.length >= 3 && ticks.length <= 12, `${ticks}: a readable count`);
    const step = ticks[1] - ticks[0];
    assert.ok(isNiceStep(step), `step ${step} of ${ticks}`);
    ticks.forEach((t, i) => assert.ok(Math.abs(t - ticks[0] - i * step) < step * 1e-6));
    ticks.forEach((t) =>
      assert.ok(Math.abs(t / step - Math.round(t / step)) < 1e-6, `${t} on the step`),
    );
  }
  assert.deepEqual(niceTicks(-2, 3, 5), [-2, -1, 0, 1, 2, 3]);
  assert.deepEqual(niceTicks(0.013, 0.987, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

test('within mode keeps ticks inside the range', () => {
  const ticks = niceTicks(-1.3, 2.7, 5, 'within');
  assert.deepEqual(ticks, [-1, 0, 1, 2]);
});

test('log ticks cover the range in 1-2-5 steps, or decades when wide', () => {
  assert.deepEqual(logTicks(0.03, 4), [0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5]);
  assert.deepEqual(logTicks(1e-3, 50), [1e-3, 1e-2, 0.1, 1, 10, 100]);
  const wide = logTicks(1e-9, 1e9);
  assert.ok(wide[0] <= 1e-9 && wide[wide.length - 1] >= 1e9 && wide.length <= 10);
  assert.throws(() => logTicks(0, 1), RangeError);
});

test('tick labels share their decimals and use a true minus sign', () => {
  assert.deepEqual(formatTicks([0, 0.25, 0.5]), ['0.00', '0.25', '0.50']);
  assert.deepEqual(formatTicks([-2, -1, 0, 1]), ['\u22122', '\u22121', '0', '1']);
  assert.deepEqual(formatTicks([0, 2e6, 4e6]), ['0', '2e6', '4e6']);
  assert.equal(formatNumber(1e-5), '1e\u22125');
  assert.equal(formatNumber(0.1 + 0.2), '0.3');
});

test('palette is Okabe-Ito, distinct, and the dash style is a dasharray', () => {
  assert.equal(new Set(PALETTE).size, 8);
  assert.ok(PALETTE.includes('#0072B2') && PALETTE.includes('#D55E00'));
  assert.match(DASHED, /^\d+ \d+$/);
  assert.ok(textWidth('mmmm', 10) > textWidth('iiii', 10));
});
