/**
 * A value over a 2-D grid (a loss surface over two directions, or over the plane through
 * three solutions) as a colour map: each grid point colours the cell around it (edges half
 * way to its neighbours) in viridis, with a colour bar, and optional marked points (the
 * solutions). With logZ the colour scale is logarithmic and values <= 0 count as undefined,
 * as a loss spanning decades needs; an undefined value leaves its cell light grey.
 *
 * Orientation: z[i][j] is the value at (x[i], y[j]), so z has x.length rows of y.length
 * values (the transpose of matplotlib's contourf(X, Y, Z) layout). x and y increase.
 * A Vega-Lite spec (vega-lite.ts renders it): a cell's tooltip gives x, y and the value;
 * dragging pans and the wheel zooms. (It replaces the hand-drawn filled contours: the
 * grammar has no isolines over a grid; the colour bar's bands carry the levels instead.)
 */
import { expected } from '../core/errors';
import { checkFinite, checkList, checkSize, checkText } from './validate';
import { vegaLiteHeader, vegaLiteSvg, type VegaLiteSpec } from './vega-lite';
import { ZOOM } from './line-chart';
import { PALETTE } from './svg';

export interface ContourChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Title of the colour bar. */
  zLabel: string;
  x: number[];
  y: number[];
  z: (number | null)[][];
  logZ?: boolean;
  /** About how many colour bands (linear levels); default 10. */
  levels?: number;
  points?: { x: number; y: number; label: string }[];
  /** Paths drawn over the surface (a training trajectory): a line through the points, a dot
   * at each, the point's label (an epoch) beside it, the path's label at its end. */
  paths?: { label: string; points: { x: number; y: number; label?: string }[] }[];
  width?: number;
  height?: number;
}

/** Cell edges: half way between neighbouring coordinates, half a step beyond the ends. */
function edges(v: number[]): number[] {
  const out = [v[0]! - (v[1]! - v[0]!) / 2];
  for (let i = 0; i + 1 < v.length; i++) out.push((v[i]! + v[i + 1]!) / 2);
  out.push(v[v.length - 1]! + (v[v.length - 1]! - v[v.length - 2]!) / 2);
  return out;
}

export function contourChart(spec: ContourChartSpec): string {
  return vegaLiteSvg(contourChartSpec(spec));
}

export function contourChartSpec(spec: ContourChartSpec): VegaLiteSpec {
  validate(spec);
  const { width = 640, height = 520, logZ = false, points = [] } = spec;
  const ex = edges(spec.x);
  const ey = edges(spec.y);
  const cells = spec.x.flatMap((x, i) =>
    spec.y.map((y, j) => {
      const v = spec.z[i]![j]!;
      return {
        x,
        y,
        x0: ex[i],
        x1: ex[i + 1],
        y0: ey[j],
        y1: ey[j + 1],
        z: v === null || (logZ && v <= 0) ? null : v,
      };
    }),
  );
  const x = {
    field: 'x0',
    type: 'quantitative',
    title: spec.xLabel,
    scale: { domain: [ex[0], ex[ex.length - 1]], nice: false, zero: false },
  };
  const y = {
    field: 'y0',
    type: 'quantitative',
    title: spec.yLabel,
    scale: { domain: [ey[0], ey[ey.length - 1]], nice: false, zero: false },
  };
  const tooltip = [
    { field: 'x', type: 'quantitative', title: spec.xLabel, format: '.4~g' },
    { field: 'y', type: 'quantitative', title: spec.yLabel, format: '.4~g' },
    { field: 'z', type: 'quantitative', title: spec.zLabel, format: '.5~g' },
  ];
  return {
    ...vegaLiteHeader(spec.title, width, height),
    layer: [
      {
        data: { values: cells },
        layer: [
          {
            transform: [{ filter: 'datum.z === null' }],
            mark: { type: 'rect', color: '#dddddd', clip: true },
            encoding: { x, x2: { field: 'x1' }, y, y2: { field: 'y1' } },
          },
          {
            transform: [{ filter: 'datum.z !== null' }],
            params: [{ name: ZOOM, select: 'interval', bind: 'scales' }],
            mark: { type: 'rect', clip: true },
            encoding: {
              x,
              x2: { field: 'x1' },
              y,
              y2: { field: 'y1' },
              color: {
                field: 'z',
                type: 'quantitative',
                title: spec.zLabel,
                scale: logZ
                  ? { type: 'log', scheme: 'viridis' }
                  : {
                      type: 'quantize',
                      scheme: { name: 'viridis', count: spec.levels ?? 10 },
                      nice: true,
                      zero: false,
                    },
                legend: { orient: 'right', direction: 'vertical', gradientLength: height - 120 },
              },
              tooltip,
            },
          },
        ],
      },
      ...(spec.paths ?? []).map((p, k) => pathLayer(p, k)),
      ...(points.length
        ? [
            {
              data: { values: points },
              layer: [
                {
                  mark: {
                    type: 'point',
                    shape: 'cross',
                    filled: true,
                    size: 90,
                    color: 'white',
                    stroke: 'black',
                    strokeWidth: 0.8,
                  },
                  encoding: {
                    x: { field: 'x', type: 'quantitative' },
                    y: { field: 'y', type: 'quantitative' },
                    tooltip: [
                      { field: 'label' },
                      { field: 'x', format: '.4~g' },
                      { field: 'y', format: '.4~g' },
                    ],
                  },
                },
                {
                  mark: {
                    type: 'text',
                    align: 'left',
                    dx: 8,
                    dy: -8,
                    color: 'white',
                    fontWeight: 'bold',
                  },
                  encoding: {
                    x: { field: 'x', type: 'quantitative' },
                    y: { field: 'y', type: 'quantitative' },
                    text: { field: 'label' },
                  },
                },
              ],
            },
          ]
        : []),
    ],
  } as unknown as VegaLiteSpec;
}

/** One path: its line in visiting order, a dot and label at each point, its name at its end. */
function pathLayer(p: NonNullable<ContourChartSpec['paths']>[number], k: number): object {
  const color = PALETTE[(k + 1) % PALETTE.length];
  const values = p.points.map((q, order) => ({
    x: q.x,
    y: q.y,
    order,
    label: q.label ?? '',
    path: p.label,
    end: order === p.points.length - 1 ? p.label : '',
  }));
  const xy = { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } };
  return {
    data: { values },
    layer: [
      {
        mark: { type: 'line', color, strokeWidth: 2, clip: true },
        encoding: { ...xy, order: { field: 'order', type: 'quantitative' } },
      },
      {
        mark: { type: 'point', filled: true, color, size: 30, stroke: 'white', strokeWidth: 0.8 },
        encoding: {
          ...xy,
          tooltip: [
            { field: 'path' },
            { field: 'label' },
            { field: 'x', format: '.4~g' },
            { field: 'y', format: '.4~g' },
          ],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 5, dy: 10, fontSize: 10, color: '#222222' },
        encoding: { ...xy, text: { field: 'label' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 6, dy: -8, fontWeight: 'bold', color },
        encoding: { ...xy, text: { field: 'end' } },
      },
    ],
  };
}

function validate(spec: ContourChartSpec): void {
  checkText(spec.title, 'title');
  checkSize(spec.width, spec.height);
  for (const [axis, option] of [
    [spec.x, 'x'],
    [spec.y, 'y'],
  ] as const) {
    checkList(axis, option);
    axis.forEach((v, i) => checkFinite(v, `${option}[${i}]`));
    if (axis.length < 2 || axis.some((v, i) => i > 0 && v <= axis[i - 1]))
      throw expected('at least 2 increasing coordinates', option, axis);
  }
  if (
    !Array.isArray(spec.z) ||
    spec.z.length !== spec.x.length ||
    spec.z.some((row) => !Array.isArray(row) || row.length !== spec.y.length)
  )
    throw expected(
      `${spec.x.length} rows of ${spec.y.length} values (z[i][j] at x[i], y[j])`,
      'z',
      spec.z,
    );
  spec.z.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v !== null) checkFinite(v, `z[${i}][${j}]`);
    }),
  );
  if (!spec.z.flat().some((v) => v !== null && (!spec.logZ || v > 0)))
    throw expected(spec.logZ ? 'some positive values' : 'some values', 'z', spec.z);
  (spec.points ?? []).forEach((p, i) => {
    checkFinite(p.x, `points[${i}].x`);
    checkFinite(p.y, `points[${i}].y`);
  });
  (spec.paths ?? []).forEach((path, k) =>
    path.points.forEach((p, i) => {
      checkFinite(p.x, `paths[${k}].points[${i}].x`);
      checkFinite(p.y, `paths[${k}].points[${i}].y`);
    }),
  );
}
