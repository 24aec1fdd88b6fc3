/**
 * report.html: one self-contained page (inline CSS, figures and the scripts that make them
 * live: vega, vega-lite, vega-embed from node_modules; no network) with the config, the
 * summary per arm (mean and spread over seeds), training curves, the live gradient noise
 * scale, Experiment A, Experiment B's tables and figures (per parameter group too, when
 * measured), Smith's check and B_simple, the live B_simple beside Experiment B's at its points, sharpness, training trajectories, and timings. Built section by section (sections/*.ts)
 * from the study model and rendered by report-html.ts. Also writes report.json (the model),
 * the tables as CSV/Markdown and every figure as SVG and PNG.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../core/atomic-write';
import { writeReportJson } from '../store/report-file';
import { figuresDir, reportHtmlFile, tableFile, tablesDir } from '../store/study-paths';
import { reportJson } from './report-json';
import { reportHtml } from './report-html';
import { figuresOf, isSection, type ReportPart } from './section';
import { beyondSection } from './sections/beyond';
import { configSection } from './sections/config';
import { criticalBatchSection } from './sections/critical-batch';
import { experimentASection } from './sections/experiment-a';
import { experimentBSection, studyAnalysisPoints } from './sections/experiment-b';
import { headerSection } from './sections/header';
import { liveNoiseScaleSection } from './sections/live-noise-scale';
import { noiseScaleComparisonSection } from './sections/noise-scale-comparison';
import { sharpnessSection } from './sections/sharpness';
import { summarySection } from './sections/summary';
import { timingsSection } from './sections/timings';
import { trainingSection } from './sections/training';
import { trajectoriesSection } from './sections/trajectories';
import { studyModel, type StudyModel } from './study-model';
import { pendingHtml, studyPending } from './study-progress';
import { writeFigure } from './write-figure';

/**
 * report.html, report.json, tables/ and figures/ of a run directory, from its files.
 *
 * @example
 * ```ts
 * import { writeStudyReport } from 'gradscope';
 * const { file } = writeStudyReport('runs/thesis-f1'); // also report.json, tables/ and figures/
 * console.log(`open ${file}`);
 * ```
 */
export function writeStudyReport(runDir: string): { file: string; model: StudyModel } {
  const m = studyModel(runDir);
  const html = studyReportHtml(m, { figures: true, tables: true });
  const file = reportHtmlFile(runDir);
  writeReportJson(runDir, reportJson(m));
  writeFileAtomic(file, html);
  return { file, model: m };
}

/** The report's sections in page order; a run still going gets its pieces to come marked. */
export function studyReportParts(m: StudyModel): ReportPart[] {
  const pending = studyPending(m);
  const noiseScale = liveNoiseScaleSection(m);
  const comparison = noiseScaleComparisonSection(m);
  const critical = criticalBatchSection(m);
  return [
    headerSection(m),
    { kind: 'html', html: pendingHtml(pending, 'progress') },
    summarySection(m),
    trainingSection(m, pending),
    ...(noiseScale ? [noiseScale] : []),
    ...(critical ? [critical] : []),
    experimentASection(m, pending),
    experimentBSection(m, pending),
    beyondSection(m, studyAnalysisPoints(m)),
    ...(comparison ? [comparison] : []),
    sharpnessSection(m, pending),
    trajectoriesSection(m),
    timingsSection(m),
    configSection(m),
  ];
}

/**
 * The report's HTML; with `write`, also the figure and table files beside it (`gradscope
 * serve` renders without writing).
 */
export function studyReportHtml(
  m: StudyModel,
  write: { figures: boolean; tables: boolean } = { figures: false, tables: false },
): string {
  const parts = studyReportParts(m);
  const sections = parts.filter(isSection);
  if (write.tables) {
    fs.mkdirSync(tablesDir(m.runDir), { recursive: true });
    for (const s of sections)
      for (const f of s.files ?? []) writeFileAtomic(tableFile(m.runDir, f.name), f.content);
  }
  if (write.figures) {
    const figures = figuresDir(m.runDir);
    for (const s of sections)
      for (const f of figuresOf(s.blocks)) writeFigure(figures, f.file, f.svg);
  }
  return reportHtml(`${m.name}: gradscope report`, parts);
}
