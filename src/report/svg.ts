/**
 * The figures' colours and dash styles, shared by every chart (the charts themselves are
 * Vega-Lite specs: vega-lite.ts). Kept under this name so figure code that imports the
 * palette from './svg' keeps working.
 */

/**
 * Okabe and Ito's palette (2008), distinguishable under the common colour-vision
 * deficiencies; ordered for lines on white, with yellow, the faintest, last.
 */
export const PALETTE = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
] as const;

/** stroke-dasharray values: solid first; `DASHED` is what a `dash: true` series gets. */
export const DASHES = ['', '7 4', '2 3', '9 3 2 3'] as const;
export const DASHED = DASHES[1];

export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length];
}
