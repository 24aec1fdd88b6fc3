/**
 * Experiment B's files for a list of analysis points: the thesis-layout tables as Markdown,
 * the histograms and the summary as CSV, and each point's figure (and its per-group figure
 * when the analysis has one), all in `dir`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';
import { gradientPointFigure } from './gradient-figures';
import {
  gradientHistogramCsv,
  gradientSummaryCsv,
  gradientTablesMarkdown,
  type AnalysisPoint,
} from './gradient-tables';
import { layerNoiseFigure } from './layer-figures';
import { writeFigure } from './write-figure';

/** Writes NAME.md, NAME-histograms.csv, NAME-summary.csv and the figures of `points`. */
export function writeGradientOutputs(
  dir: string,
  points: AnalysisPoint[],
  name = 'gradients',
): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, `${name}.md`), gradientTablesMarkdown(points));
  writeFileAtomic(path.join(dir, `${name}-histograms.csv`), gradientHistogramCsv(points));
  writeFileAtomic(path.join(dir, `${name}-summary.csv`), gradientSummaryCsv(points));
  for (const p of points) {
    const figure = points.length === 1 ? name : `${name}-${p.phase}-epoch-${p.epoch}`;
    writeFigure(dir, figure, gradientPointFigure(p));
    if (p.analysis.layers)
      writeFigure(
        dir,
        `${figure}-layers`,
        layerNoiseFigure(`${p.label}: gradient noise per parameter group`, p.analysis.layers),
      );
  }
}
