/**
 * The --out folder of `gradscope analyze gradients`: gradients.json, the whole analysis as
 * one line of JSON (the thesis-layout tables and the figure beside it are the report's:
 * src/report/gradient-outputs.ts).
 */
import * as path from 'path';
import { writeJsonRecord } from './json-files';

/** DIR/gradients.json. */
export function gradientsFile(dir: string): string {
  return path.join(dir, 'gradients.json');
}

/** Writes the analysis to DIR/gradients.json, atomically, making DIR if need be. */
export function writeGradientsFile(dir: string, analysis: object): string {
  const file = gradientsFile(dir);
  writeJsonRecord(file, analysis);
  return file;
}
