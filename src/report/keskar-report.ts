/**
 * Keskar et al. 2017's experiment on F1 (Tables 2 to 4) as gradscope runs it: small batch
 * (SB, 256) against large batch (LB, 10% of the training set) with Adam, each trained from the
 * same kind of fresh network by `gradscope train`, its last epoch measured by `gradscope
 * analyze sharpness` (eps 1e-3 and 5e-4, full space and a random 100-dimensional subspace),
 * over seeds. Not a study of the piggybacked method: both regimes start from scratch, which a
 * study's arms never do (they branch from process 1 after at least one epoch).
 *
 * This file gathers those runs (src/store/results-paths.ts names them) into report.json.
 */
import { GradscopeFileError } from '../core/errors';
import { readMetrics, type EpochRecord } from '../store/metrics';
import { keskarRunDir, keskarSharpnessFile } from '../store/results-paths';
import { metricsFile } from '../store/run-paths';
import { field, readJsonFile } from './published-study';

export interface KeskarRun {
  regime: 'sb' | 'lb';
  batchSize: number;
  seed: number;
  /** The last epoch trained, whose checkpoint was measured. */
  epoch: number;
  trainAccuracy: number;
  testAccuracy: number;
  sharpness: {
    eps: number;
    space: 'full' | 'subspace';
    dimension: number;
    sharpness: number;
    /** The maximisation's iterations (absent from reports before 2026-12-06). */
    iterations?: number;
  }[];
}

/** report.json of keskar-f1. */
export interface KeskarReport {
  kind: 'keskar-2017';
  network: string;
  data: string;
  optimizer: string;
  epochs: number;
  seeds: number[];
  regimes: { regime: 'sb' | 'lb'; batchSize: number }[];
  runs: KeskarRun[];
}

export interface KeskarSettings {
  network: string;
  data: string;
  optimizer: string;
  epochs: number;
  seeds: number[];
  regimes: { regime: 'sb' | 'lb'; batchSize: number }[];
}

/**
 * The fields of keskar-f1's report.json the page reads, checked.
 *
 * @example
 * ```ts
 * const report = checkKeskarReport(readJsonFile(file, PUBLISHED_REPORT_BYTES), file);
 * ```
 */
export function checkKeskarReport(report: unknown, file: string): KeskarReport {
  if (field(report, 'kind', 'string', file) !== 'keskar-2017')
    throw new GradscopeFileError(file, 'kind: expected "keskar-2017"');
  for (const at of ['seeds', 'regimes', 'runs']) field(report, at, 'array', file);
  field(report, 'epochs', 'number', file);
  return report as KeskarReport;
}

function oneRun(scratch: string, regime: 'sb' | 'lb', batchSize: number, seed: number): KeskarRun {
  const run = keskarRunDir(scratch, regime, seed);
  const last = readMetrics(metricsFile(run))
    .filter((r): r is EpochRecord => r.kind === 'epoch')
    .pop();
  if (!last) throw new GradscopeFileError(metricsFile(run), 'no epoch trained');
  const file = keskarSharpnessFile(scratch, regime, seed);
  const measured = readJsonFile(file, 16 * 1024 * 1024);
  const keskar = field(measured, 'keskar', 'array', file) as {
    eps: number;
    space: 'full' | 'subspace';
    dimension: number;
    sharpness: number;
    iterations: number;
  }[];
  return {
    regime,
    batchSize,
    seed,
    epoch: last.epoch,
    trainAccuracy: last.trainAccuracy,
    testAccuracy: last.testAccuracy,
    sharpness: keskar.map((k) => ({
      eps: k.eps,
      space: k.space,
      dimension: k.dimension,
      sharpness: k.sharpness,
      iterations: k.iterations,
    })),
  };
}

/**
 * report.json of Keskar's experiment from its scratch folder.
 *
 * @example
 * ```ts
 * const report = keskarReport('/tmp/keskar', { network: 'F1', data: 'mnist', optimizer: 'adam, lr 0.001',
 *   epochs: 60, seeds: [0, 1, 2], regimes: [{ regime: 'sb', batchSize: 256 }, { regime: 'lb', batchSize: 6000 }] });
 * ```
 */
export function keskarReport(scratch: string, settings: KeskarSettings): KeskarReport {
  const runs: KeskarRun[] = [];
  for (const { regime, batchSize } of settings.regimes)
    for (const seed of settings.seeds) runs.push(oneRun(scratch, regime, batchSize, seed));
  return { kind: 'keskar-2017', ...settings, runs };
}
