/**
 * Every path of the published results (docs/results/, written by scripts/results.sh):
 *
 *   <root>/<name>.md                 the page a reader opens (src/report/results-page.ts)
 *   <root>/<name>/report.json        the study's numbers, which the page prints
 *   <root>/<name>/results.json       how they were produced: time, machine, gradscope version
 *   <root>/<name>/conclusions.md, thesis-tables.md, figures/*.svg   copied from the run
 *
 * and of the scratch folder of Keskar et al.'s experiment (scripts/results.sh keskar-f1):
 *
 *   <scratch>/<regime>-seed-<s>/                  a `gradscope train` run (run-paths.ts)
 *   <scratch>/<regime>-seed-<s>.sharpness.json    `analyze sharpness --json` of its last epoch
 */
import * as path from 'path';

/** <root>/<name>.md */
export function resultsPageFile(root: string, name: string): string {
  return path.join(root, `${name}.md`);
}

/** <root>/<name>: the published study's files. */
export function publishedDir(root: string, name: string): string {
  return path.join(root, name);
}

/** <root>/<name>/report.json */
export function publishedReportFile(root: string, name: string): string {
  return path.join(publishedDir(root, name), 'report.json');
}

/** <root>/<name>/results.json: time, machine, version. */
export function publishedMetadataFile(root: string, name: string): string {
  return path.join(publishedDir(root, name), 'results.json');
}

/** The page names of `root`: its <name>.md files, README.md aside, in name order. */
export function resultsPageNames(files: string[]): string[] {
  return files
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => f.slice(0, -'.md'.length))
    .sort();
}

/** <scratch>/<regime>-seed-<s>: one training run of Keskar's experiment. */
export function keskarRunDir(scratch: string, regime: string, seed: number): string {
  return path.join(scratch, `${regime}-seed-${seed}`);
}

/** <scratch>/<regime>-seed-<s>.sharpness.json */
export function keskarSharpnessFile(scratch: string, regime: string, seed: number): string {
  return `${keskarRunDir(scratch, regime, seed)}.sharpness.json`;
}

/** <root>/keskar-2017.json: the paper's numbers, typed once. */
export function keskarPaperFile(root: string): string {
  return path.join(root, 'keskar-2017.json');
}

/** <root>/<name>/figures: the published study's SVG figures. */
export function publishedFiguresDir(root: string, name: string): string {
  return path.join(publishedDir(root, name), 'figures');
}
