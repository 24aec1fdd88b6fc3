/**
 * report.json of a study run directory: the numbers the report prints, written beside
 * report.html; its presence marks the report piece done.
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../core/atomic-write';
import { reportJsonFile } from './study-paths';

/** Writes report.json (indented by one space, as it always was). */
export function writeReportJson(studyDir: string, report: unknown): void {
  writeFileAtomic(reportJsonFile(studyDir), JSON.stringify(report, null, 1) + '\n');
}

/** Whether the study has its report.json. */
export function holdsReport(studyDir: string): boolean {
  return fs.existsSync(reportJsonFile(studyDir));
}
