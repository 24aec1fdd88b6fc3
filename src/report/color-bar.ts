/**
 * The colour bar beside a contour plot: one swatch per band, stacked between its levels,
 * with the level values as ticks on its right and the value's name as its title. With
 * many levels only every second (third...) is labelled, so the labels never touch.
 */
import { type Axis } from './axis';
import { yAxis, type Rect } from './axes';
import { tag } from './document';

export const BAR_WIDTH = 16;

/** The labels the bar will show (for the margin it needs). */
export function barLabels(levels: Axis): string[] {
  return levels.labels.filter((_, k) => k % labelEvery(levels.ticks.length) === 0);
}

/** Every level labelled up to 12 of them; beyond, every second (third...) one. */
function labelEvery(count: number): number {
  return Math.ceil(count / 12);
}

export function colorBar(
  bar: Rect,
  levels: Axis,
  color: (k: number) => string,
  title: string,
): string {
  const at = (k: number) => bar.y + bar.height * (1 - k / (levels.ticks.length - 1));
  const steps = levels.ticks.slice(1).map((_, k) =>
    tag('rect', {
      x: bar.x,
      y: at(k + 1),
      width: bar.width,
      height: at(k) - at(k + 1),
      fill: color(k),
    }),
  );
  const every = labelEvery(levels.ticks.length);
  const ticks = levels.labels.flatMap((label, k) =>
    k % every === 0 ? [{ at: at(k), label }] : [],
  );
  const frame = tag('rect', { ...bar, fill: 'none', stroke: '#555555' });
  return tag(
    'g',
    { class: 'colorbar' },
    steps.join('') + frame + yAxis(bar, ticks, 'right', title),
  );
}
