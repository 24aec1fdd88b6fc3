/**
 * The report's table model rendered to HTML, Markdown and CSV, and its number formatter, each
 * against text written out by hand here: escaping in each format ("<", "&", '"', "|", a
 * comma), alignments, notes, cell and table attributes, a missing figure (null).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNumber, formatPercent } from '../../src/report/format-number';
import { tableCsv, tableHtml, tableMarkdown, type Table } from '../../src/report/table';

const TABLE: Table = {
  head: ['bin', 'B=16 "small"', 'mean |g_B|/d'],
  rows: [
    ['[0, 0.5)', 3, { text: '0.125', attributes: { 'data-value': 0.125 } }],
    ['>= 5 & <x>', 0, null],
  ],
  align: ['left', 'right'],
  notes: ['K = 3 draws per B.'],
  attributes: { id: 'hist', 'data-seed': 0 },
};

test('a table as HTML: escaped text, attributes on the table and its cells, alignment, notes', () => {
  assert.equal(
    tableHtml(TABLE),
    '<table id="hist" data-seed="0"><thead><tr>' +
      '<th style="text-align: left">bin</th>' +
      '<th style="text-align: right">B=16 &quot;small&quot;</th>' +
      '<th>mean |g_B|/d</th>' +
      '</tr></thead><tbody>' +
      '<tr><td style="text-align: left">[0, 0.5)</td><td style="text-align: right">3</td><td data-value="0.125">0.125</td></tr>' +
      '<tr><td style="text-align: left">&gt;= 5 &amp; &lt;x&gt;</td><td style="text-align: right">0</td><td>-</td></tr>' +
      '</tbody></table><p>K = 3 draws per B.</p>',
  );
  assert.equal(
    tableHtml({ head: ['a'], rows: [['1']] }),
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>',
  );
});

test('a table as Markdown: "|" escaped, the alignment row, the notes after a blank line', () => {
  assert.equal(
    tableMarkdown(TABLE),
    [
      '| bin | B=16 "small" | mean \\|g_B\\|/d |',
      '| :--- | ---: | --- |',
      '| [0, 0.5) | 3 | 0.125 |',
      '| >= 5 & <x> | 0 | - |',
      '',
      'K = 3 draws per B.',
    ].join('\n'),
  );
});

test('a table as CSV: text quoted (a comma inside), numbers in full, null empty, no notes', () => {
  assert.equal(
    tableCsv(TABLE),
    ['bin,"B=16 ""small""",mean |g_B|/d', '"[0, 0.5)",3,"0.125"', '">= 5 & <x>",0,', ''].join('\n'),
  );
  assert.equal(
    tableCsv({ head: ['alpha', 'loss'], rows: [[0.1 + 0.2, 1e-7]] }),
    'alpha,loss\n0.30000000000000004,1e-7\n',
  );
});

test('the number formatter: fixed decimals at ordinary sizes, four significant digits in exponent form beyond, "-" where undefined', () => {
  const cases: [number | null, number | undefined, string][] = [
    [0, undefined, '0.0000'],
    [-0, undefined, '0.0000'],
    [0.5, undefined, '0.5000'],
    [-2.25, 3, '-2.250'],
    [1 / 3, 5, '0.33333'],
    [0.001, undefined, '0.0010'],
    [0.000999, undefined, '9.990e-4'],
    [-0.00012346, undefined, '-1.235e-4'],
    [1e-300, undefined, '1.000e-300'],
    [5e-324, undefined, '4.941e-324'],
    [9999.5, undefined, '9999.5000'],
    [10000, undefined, '1.000e+4'],
    [-123456789, 2, '-1.235e+8'],
    [1.7976931348623157e308, undefined, '1.798e+308'],
    [20549.9, 1, '2.055e+4'],
    [Number.NaN, undefined, '-'],
    [Number.POSITIVE_INFINITY, undefined, '-'],
    [Number.NEGATIVE_INFINITY, 3, '-'],
    [null, undefined, '-'],
  ];
  for (const [x, digits, expected] of cases)
    assert.equal(formatNumber(x, digits), expected, `formatNumber(${x}, ${digits})`);
  assert.equal(formatPercent(0.1234), '12.34%');
  assert.equal(formatPercent(0), '0.00%');
  assert.equal(formatPercent(1), '100.00%');
});
