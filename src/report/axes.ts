/**
 * Drawing the axes around a plot area: axis lines, outward tick marks, tick labels,
 * gridlines and axis titles, plus the margins each needs, computed from the labels'
 * widths so that nothing overlaps however long the labels are. Crowded x labels are
 * turned 40 degrees rather than overlapping or being dropped.
 */
import { tag, text, PAD } from './document';
import { AXIS_COLOR, FONT_SIZE, GRID_COLOR, num, textWidth } from './svg';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A tick at a pixel position (x for the x axis, y for a y axis). */
export interface Tick {
  at: number;
  label: string;
}

const TICK = 5;
const GAP = 8;
const SLANT = (40 * Math.PI) / 180;

function widest(labels: readonly string[]): number {
  return Math.max(0, ...labels.map((l) => textWidth(l, FONT_SIZE.tick)));
}

/** Room a y axis needs beside the plot: tick labels, then the title. */
export function yAxisMargin(labels: readonly string[], title: string | undefined): number {
  return GAP + widest(labels) + (title ? GAP + FONT_SIZE.axisTitle : 0) + PAD;
}

/** Whether x labels `spacing` px apart would collide if written level. */
export function slantX(labels: readonly string[], spacing: number): boolean {
  return widest(labels) + 8 > spacing;
}

/** Room below the plot: tick labels (level or slanted), then the title. */
export function xAxisMargin(labels: readonly string[], slant: boolean, title?: string): number {
  const size = FONT_SIZE.tick;
  const labelsHeight = slant ? widest(labels) * Math.sin(SLANT) + size : size;
  return GAP + labelsHeight + (title ? GAP + FONT_SIZE.axisTitle : 0) + PAD;
}

export function grid(rect: Rect, ys: number[]): string {
  const d = ys.map((y) => `M${num(rect.x)} ${num(y)}h${num(rect.width)}`).join('');
  return tag('path', { class: 'grid', d, stroke: GRID_COLOR, 'stroke-width': 1, fill: 'none' });
}

export function yAxis(
  rect: Rect,
  ticks: Tick[],
  side: 'left' | 'right',
  title: string | undefined,
  titleColor?: string,
): string {
  const sign = side === 'left' ? -1 : 1;
  const x = side === 'left' ? rect.x : rect.x + rect.width;
  const marks = ticks.map((t) => `M${num(x)} ${num(t.at)}h${sign * TICK}`).join('');
  const labels = ticks.map((t) =>
    text(x + sign * GAP, t.at + FONT_SIZE.tick * 0.36, t.label, {
      'text-anchor': side === 'left' ? 'end' : 'start',
      'font-size': FONT_SIZE.tick,
    }),
  );
  const parts = [
    tag('path', {
      d: `M${num(x)} ${num(rect.y)}v${num(rect.height)}${marks}`,
      stroke: AXIS_COLOR,
      fill: 'none',
    }),
    ...labels,
  ];
  if (title) {
    // Both titles read upwards; the glyphs rise to the left of the baseline, descend right.
    const clear = GAP + widest(ticks.map((t) => t.label)) + GAP;
    const tx = x + sign * clear + FONT_SIZE.axisTitle * (side === 'left' ? -0.25 : 0.8);
    const ty = rect.y + rect.height / 2;
    parts.push(
      text(tx, ty, title, {
        class: 'axis-title',
        transform: `rotate(-90 ${num(tx)} ${num(ty)})`,
        'text-anchor': 'middle',
        'font-size': FONT_SIZE.axisTitle,
        fill: titleColor,
      }),
    );
  }
  return tag('g', { class: `axis-${side}` }, parts.join(''));
}

export function xAxis(
  rect: Rect,
  ticks: Tick[],
  title: string | undefined,
  slant: boolean,
): string {
  const y = rect.y + rect.height;
  const size = FONT_SIZE.tick;
  const marks = ticks.map((t) => `M${num(t.at)} ${num(y)}v${TICK}`).join('');
  const labels = ticks.map((t) => {
    if (!slant)
      return text(t.at, y + GAP + size * 0.8, t.label, {
        'text-anchor': 'middle',
        'font-size': size,
      });
    const [lx, ly] = [t.at + 3, y + GAP + 2];
    return text(lx, ly + size * 0.7, t.label, {
      'text-anchor': 'end',
      'font-size': size,
      transform: `rotate(-40 ${num(lx)} ${num(ly)})`,
    });
  });
  const parts = [
    tag('path', {
      d: `M${num(rect.x)} ${num(y)}h${num(rect.width)}${marks}`,
      stroke: AXIS_COLOR,
      fill: 'none',
    }),
    ...labels,
  ];
  if (title) {
    const labelsHeight = slant ? widest(ticks.map((t) => t.label)) * Math.sin(SLANT) + size : size;
    const ty = y + GAP + labelsHeight + GAP + FONT_SIZE.axisTitle * 0.8;
    parts.push(
      text(rect.x + rect.width / 2, ty, title, {
        class: 'axis-title',
        'text-anchor': 'middle',
        'font-size': FONT_SIZE.axisTitle,
      }),
    );
  }
  return tag('g', { class: 'axis-bottom' }, parts.join(''));
}
