/**
 * Keskar et al. 2017's own numbers for F1 (docs/results/keskar-2017.json: typed once, each
 * with the table it comes from), beside which the keskar-f1 page prints gradscope's.
 */
import { GradscopeFileError } from '../core/errors';
import { keskarPaperFile } from '../store/results-paths';
import { field, readJsonFile } from './published-study';

export interface KeskarPaperRow {
  table: string;
  quantity: 'trainAccuracy' | 'testAccuracy' | 'sharpness';
  unit?: string;
  eps?: number;
  space?: 'full' | 'subspace';
  /** [mean, spread] as the paper prints them. */
  sb: [number, number];
  lb: [number, number];
}

export interface KeskarPaper {
  source: string;
  checked: string;
  spread: string;
  rows: KeskarPaperRow[];
}

/**
 * The paper's numbers under `root` (docs/results).
 *
 * @example
 * ```ts
 * for (const row of keskarPaper('docs/results').rows) console.log(row.table, row.sb, row.lb);
 * ```
 */
export function keskarPaper(root: string): KeskarPaper {
  const file = keskarPaperFile(root);
  const paper = readJsonFile(file, 1024 * 1024);
  for (const at of ['source', 'checked', 'spread']) field(paper, at, 'string', file);
  const rows = field(paper, 'rows', 'array', file) as unknown[];
  rows.forEach((row, i) => {
    field(row, 'table', 'string', file);
    for (const regime of ['sb', 'lb']) {
      const pair = field(row, regime, 'array', file) as unknown[];
      if (pair.length !== 2 || !pair.every((x) => typeof x === 'number'))
        throw new GradscopeFileError(file, `rows[${i}].${regime}: expected [mean, spread]`);
    }
  });
  return paper as KeskarPaper;
}
