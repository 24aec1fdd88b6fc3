/**
 * Box plots grouped by category, for Experiment B: the distribution of |g_B - g_total|/d
 * over the K batches, one box per batch size B, one group per analysis point (or the
 * reverse). A box name keeps its colour in every group, and the legend names them.
 *
 * Box: quartiles; line: median; whiskers: the furthest data within 1.5 IQR; hollow dots:
 * the outliers beyond (quartiles as numpy's default; see box-stats.ts, computed here so
 * that the figure agrees with the tables). A Vega-Lite spec (vega-lite.ts renders it):
 * a box's tooltip gives its five numbers and count; the legend toggles a box name.
 */
import { boxStats } from './box-stats';
import { paletteColor } from './svg';
import { checkFinite, checkList, checkSize, checkText } from './validate';
import { VEGA_LITE_SCHEMA, vegaLiteSvg, type VegaLiteSpec } from './vega-lite';
import { SERIES_TOGGLE } from './line-chart';

const BOX_OPACITY = 0.35;

export interface BoxChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  groups: { label: string; boxes: { name: string; values: number[] }[] }[];
  /** Colour per box name; the palette in order of first appearance otherwise. */
  colors?: Record<string, string>;
  width?: number;
  height?: number;
}

export function boxChart(spec: BoxChartSpec): string {
  return vegaLiteSvg(boxChartSpec(spec));
}

export function boxChartSpec(spec: BoxChartSpec): VegaLiteSpec {
  validate(spec);
  const { width = 720, height = 460 } = spec;
  const names = [...new Set(spec.groups.flatMap((g) => g.boxes.map((b) => b.name)))];
  const colors = names.map((name, i) => spec.colors?.[name] ?? paletteColor(i));
  const groups = spec.groups.map((g) => g.label);
  const boxes = spec.groups.flatMap((g) =>
    g.boxes.flatMap((b) => {
      const s = boxStats(b.values);
      return s ? [{ group: g.label, series: b.name, ...s, outliers: undefined }] : [];
    }),
  );
  const outliers = spec.groups.flatMap((g) =>
    g.boxes.flatMap((b) =>
      (boxStats(b.values)?.outliers ?? []).map((value) => ({
        group: g.label,
        series: b.name,
        value,
      })),
    ),
  );
  // one panel per group, one box per name in it: whisker, box and median share a band
  const x = {
    field: 'series',
    type: 'nominal',
    sort: names,
    axis: null,
    scale: { paddingInner: 0.3, paddingOuter: 0.2 },
  };
  const color = { field: 'series', type: 'nominal', scale: { domain: names, range: colors } };
  const opacity = { condition: { param: SERIES_TOGGLE, value: 1 }, value: 0.1 };
  const y = (field: string) => ({
    field,
    type: 'quantitative',
    title: spec.yLabel,
    scale: { zero: false },
  });
  const only = (kind: string) => [{ filter: `datum.kind === '${kind}'` }];
  const tooltip = [
    { field: 'group', type: 'nominal', title: spec.xLabel },
    { field: 'series', type: 'nominal' },
    { field: 'n', type: 'quantitative', title: 'count' },
    ...['whiskerLow', 'q1', 'median', 'q3', 'whiskerHigh'].map((field) => ({
      field,
      type: 'quantitative',
      format: '.4~g',
    })),
  ];
  const panelWidth = Math.max(30, Math.floor((width - 110) / groups.length) - 4);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: spec.title,
    data: {
      values: [
        ...boxes.map((b) => ({ kind: 'box', ...b })),
        ...outliers.map((o) => ({ kind: 'outlier', ...o })),
      ],
    },
    facet: {
      column: {
        field: 'group',
        type: 'nominal',
        sort: groups,
        title: spec.xLabel,
        header: { labelOrient: 'bottom', titleOrient: 'bottom', labelFontSize: 11 },
      },
    },
    spacing: 4,
    spec: {
      width: panelWidth,
      height: height - 110,
      layer: [
        {
          transform: only('box'),
          mark: { type: 'rule' },
          encoding: { x, y: y('whiskerLow'), y2: { field: 'whiskerHigh' }, color, opacity },
        },
        {
          transform: only('box'),
          mark: { type: 'bar', fillOpacity: BOX_OPACITY, strokeWidth: 1 },
          params: [
            { name: SERIES_TOGGLE, select: { type: 'point', fields: ['series'] }, bind: 'legend' },
          ],
          encoding: {
            x,
            y: y('q1'),
            y2: { field: 'q3' },
            color,
            opacity,
            tooltip,
          },
        },
        {
          transform: only('box'),
          mark: { type: 'tick', thickness: 2 },
          encoding: { x, y: y('median'), color, opacity, tooltip },
        },
        {
          transform: only('outlier'),
          mark: { type: 'point', filled: false, size: 20 },
          encoding: {
            x,
            y: y('value'),
            color,
            opacity,
            tooltip: [
              { field: 'group', type: 'nominal', title: spec.xLabel },
              { field: 'series', type: 'nominal' },
              { field: 'value', type: 'quantitative', title: 'outlier', format: '.4~g' },
            ],
          },
        },
      ],
    },
  } as unknown as VegaLiteSpec;
}

function validate(spec: BoxChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  checkList(spec.groups, 'groups');
  spec.groups.forEach((g, i) => {
    checkText(g.label, `groups[${i}].label`);
    checkList(g.boxes, `groups[${i}].boxes`);
    g.boxes.forEach((b, j) => {
      checkText(b.name, `groups[${i}].boxes[${j}].name`);
      if (!Array.isArray(b.values)) checkList(b.values, `groups[${i}].boxes[${j}].values`);
      b.values.forEach((v, k) => checkFinite(v, `groups[${i}].boxes[${j}].values[${k}]`));
    });
  });
}
