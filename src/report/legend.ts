/**
 * The legend: a band of entries between the title and the plot, wrapped into centred rows.
 * Outside the plot area it can never hide data, whatever the data look like.
 */
import { tag, text } from './document';
import { FONT_SIZE, num, textWidth } from './svg';

export interface LegendItem {
  label: string;
  color: string;
  /** A stroke (for line series) or a filled square (bars, boxes). */
  symbol: 'line' | 'box';
  dash?: string;
  /** Of a box symbol: match the bars' or boxes' own fill. */
  fillOpacity?: number;
}

const ROW = FONT_SIZE.legend + 8;
const GAP = 20;

function swatchWidth(item: LegendItem): number {
  return item.symbol === 'line' ? 30 : 13;
}

function itemWidth(item: LegendItem): number {
  return swatchWidth(item) + 6 + textWidth(item.label, FONT_SIZE.legend);
}

/** Draws `items` in rows across [left, left + width] from `top`; height 0 when empty. */
export function legend(
  items: LegendItem[],
  left: number,
  top: number,
  width: number,
): { svg: string; height: number } {
  const rows: LegendItem[][] = [];
  let used = Infinity;
  for (const item of items) {
    const w = itemWidth(item);
    if (used + GAP + w > width) {
      rows.push([]);
      used = -GAP;
    }
    rows[rows.length - 1].push(item);
    used += GAP + w;
  }
  const parts = rows.map((row, r) => {
    const rowWidth = row.reduce((sum, item) => sum + itemWidth(item), 0) + GAP * (row.length - 1);
    let x = left + Math.max(0, (width - rowWidth) / 2);
    const mid = top + r * ROW + ROW / 2;
    return row
      .map((item) => {
        const s = swatch(item, x, mid);
        const label = text(x + swatchWidth(item) + 6, mid + FONT_SIZE.legend * 0.36, item.label, {
          'font-size': FONT_SIZE.legend,
        });
        x += itemWidth(item) + GAP;
        return s + label;
      })
      .join('');
  });
  const svg = parts.length ? tag('g', { class: 'legend' }, parts.join('\n')) : '';
  return { svg, height: rows.length * ROW };
}

function swatch(item: LegendItem, x: number, mid: number): string {
  if (item.symbol === 'box')
    return tag('rect', {
      x,
      y: mid - 6.5,
      width: 13,
      height: 13,
      fill: item.color,
      stroke: item.color,
      'fill-opacity': item.fillOpacity,
    });
  return tag('path', {
    d: `M${num(x)} ${num(mid)}h30`,
    stroke: item.color,
    'stroke-width': 2.2,
    'stroke-dasharray': item.dash,
    fill: 'none',
  });
}
