/**
 * The thesis' claims beside what a study measured (docs/results/thesis-f1.md): per piggybacked
 * arm against the small-batch control, paired by seed (analysis/paired-interval.ts), each
 * claim's verdict read from the 95% interval, never from the means alone:
 *
 *   generalises better      final test accuracy, arm - control > 0
 *   flatter minimum         each sharpness figure (Keskar's, top eigenvalue, trace), arm - control < 0
 *   the line                the alpha of the lowest test loss from the control (alpha = 0) to
 *                           the arm (alpha = 1): toward the arm when > 0
 *   distances shrink with B at each arm's last analysis point, mean |g_B - g_train|/d and
 *                           |g_B - g_total|/d for each B against the next smaller B: < 0
 *
 * Every number comes from report.json (report-json.ts), which the page cites.
 */
import { pairedInterval, type PairedInterval } from '../analysis/paired-interval';
import { formatNumber } from './format-number';
import { field } from './published-study';
import type { ReportJson, ReportPoint } from './report-json';

/** One row of the claims table. */
export interface ClaimRow {
  claim: string;
  /** The claim without its arm, the same for every arm ("flatter: top Hessian eigenvalue"). */
  short: string;
  /** The arm the row is about (its phase, "arm-1000"). */
  arm: string;
  /** The measurement in brief: "+0.35 [-0.21, +0.91]" (mean [95% interval]). */
  brief: string;
  /** What the thesis shows for it (thesis chapter 3; docs/mathematics.md). */
  evidence: string;
  /** gradscope's measurement: mean and 95% interval over seeds. */
  measurement: string;
  /** "holds", "does not hold: ..." or "not shown at N seeds". */
  holds: string;
}

/**
 * The fields of report.json the claims read, checked; a report without them is refused.
 *
 * @example
 * ```ts
 * const report = checkThesisReport(readJsonFile(file, PUBLISHED_REPORT_BYTES), file);
 * ```
 */
export function checkThesisReport(report: unknown, file: string): ReportJson {
  for (const at of ['seeds', 'config.process2.arms', 'summary', 'analysis', 'lines', 'sharpness'])
    field(report, at, 'array', file);
  return report as ReportJson;
}

/** `format` with a "+" before a non-negative value where `signed` (a difference). */
function signedFormat(format: (x: number) => string, signed: boolean): (x: number) => string {
  return (x) => `${signed && x >= 0 ? '+' : ''}${format(x)}`;
}

/**
 * "+0.0012 (95% interval -0.0003 to +0.0027, 3 seeds)" for a difference (`signed`), "0.9812 (95%
 * interval 0.9790 to 0.9834, 3 seeds)" for a value; one seed: no interval.
 *
 * @example
 * ```ts
 * intervalText(meanInterval([1, 2, 3]), (x) => x.toFixed(2), false); // "2.00 (95% interval -0.48 to 4.48, 3 seeds)"
 * ```
 */
export function intervalText(
  i: PairedInterval,
  format: (x: number) => string,
  signed = true,
): string {
  const show = signedFormat(format, signed);
  if (i.low === undefined || i.high === undefined)
    return `${show(i.mean)} (${i.n} seed${i.n === 1 ? '' : 's'}: no interval)`;
  return `${show(i.mean)} (95% interval ${show(i.low)} to ${show(i.high)}, ${i.n} seeds)`;
}

/**
 * "+0.35 [-0.21, +0.91]": the mean and its 95% interval in brackets; one seed: the mean alone.
 *
 * @example
 * ```ts
 * briefText(meanInterval([1, 2, 3]), (x) => x.toFixed(2)); // "+2.00 [-0.48, +4.48]"
 * ```
 */
export function briefText(i: PairedInterval, format: (x: number) => string, signed = true): string {
  const show = signedFormat(format, signed);
  if (i.low === undefined || i.high === undefined) return show(i.mean);
  return `${show(i.mean)} [${show(i.low)}, ${show(i.high)}]`;
}

/**
 * The mean of `values` over seeds with its 95% interval (the interval of their difference from 0).
 *
 * @example
 * ```ts
 * const { mean, low, high } = meanInterval([0.981, 0.979, 0.983]);
 * ```
 */
export function meanInterval(values: number[]): PairedInterval {
  return pairedInterval(
    values,
    values.map(() => 0),
  );
}

/** The verdict on a claim that the interval lies above zero (`above`) or below it. */
function reading(i: PairedInterval, above: boolean, otherwise: string): string {
  if (i.low === undefined || i.high === undefined)
    return `not shown at ${i.n} seed${i.n === 1 ? '' : 's'}`;
  if (above ? i.low > 0 : i.high < 0) return 'holds';
  if (above ? i.high < 0 : i.low > 0) return `does not hold: ${otherwise}`;
  return `not shown at ${i.n} seeds (the interval holds 0)`;
}

const points = (x: number) => formatNumber(100 * x, 2);
const label = (phase: string) => `B2 = ${phase.replace('arm-', '')}`;

/** Each seed's value of a summary column for a phase, in the report's seed order. */
function finals(r: ReportJson, phase: string, key: 'testAccuracy' | 'testLoss'): number[] {
  const row = r.summary.find((s) => s.phase === phase);
  return row && row[key].values.length === r.seeds.length ? row[key].values : [];
}

/** The sharpness figures of one solution, by name (as the report's conclusions name them). */
function sharpnessFigures(r: ReportJson, phase: string, seed: number): Map<string, number> {
  const out = new Map<string, number>();
  const s = r.sharpness.find((x) => x.phase === phase && x.seed === seed);
  if (!s) return out;
  for (const k of s.keskar)
    out.set(
      `Keskar sharpness, eps ${k.eps}, ${k.space === 'full' ? 'full space' : `random ${k.dimension}-dimensional subspace`}`,
      k.sharpness,
    );
  const top = s.hessian.eigenvalues[0];
  if (top) out.set('top Hessian eigenvalue', top.value);
  if (s.hessian.trace) out.set('Hessian trace', s.hessian.trace.trace);
  return out;
}

/** Each arm's last analysis point per seed, in the report's seed order. */
function lastPoints(r: ReportJson, phase: string): ReportPoint[] {
  const out: ReportPoint[] = [];
  for (const seed of r.seeds) {
    const own = r.analysis.filter((a) => a.seed === seed && a.phase === phase);
    const last = own.reduce<ReportPoint | undefined>(
      (l, a) => (!l || a.epoch > l.epoch ? a : l),
      undefined,
    );
    if (last) out.push(last);
  }
  return out;
}

function generalisation(r: ReportJson, control: string, arm: string): ClaimRow {
  const difference = pairedInterval(
    finals(r, arm, 'testAccuracy'),
    finals(r, control, 'testAccuracy'),
  );
  const own = meanInterval(finals(r, arm, 'testAccuracy'));
  return {
    claim: `${label(arm)} (piggybacked) generalises better than ${label(control)} (small-batch control)`,
    short: 'generalises better: final test accuracy, arm - control (points)',
    arm,
    brief: briefText(difference, points),
    evidence:
      'the thesis\' process 2: each arm B2 against B2 = 256 from the same saved state at convergence (on C1: 60 + 10 epochs; docs/mathematics.md "Training methods")',
    measurement: `final test accuracy (%), arm - control: ${intervalText(difference, points)} points; the arm's own: ${intervalText(own, points, false)}`,
    holds: reading(difference, true, 'lower test accuracy than the control'),
  };
}

function flatness(r: ReportJson, control: string, arm: string): ClaimRow[] {
  const names = new Set<string>();
  for (const seed of r.seeds) for (const k of sharpnessFigures(r, arm, seed).keys()) names.add(k);
  return [...names].map((name) => {
    const value = (phase: string) =>
      r.seeds.map((s) => sharpnessFigures(r, phase, s).get(name) ?? NaN);
    const difference = pairedInterval(value(arm), value(control));
    return {
      claim: `${label(arm)} sits in a flatter minimum than ${label(control)}: ${name}`,
      short: `flatter: ${name}, arm - control`,
      arm,
      brief: briefText(difference, (x) => formatNumber(x)),
      evidence:
        'argued, not measured: the thesis reasons about sharpness (Keskar et al. 2017, metric 2.1; docs/mathematics.md "Sharpness")',
      measurement: `arm - control: ${intervalText(difference, (x) => formatNumber(x))}`,
      holds: reading(difference, false, 'sharper than the control'),
    };
  });
}

function line(r: ReportJson, control: string, arm: string): ClaimRow | undefined {
  const own = r.lines.filter((l) => l.from === control && l.to === arm && l.best);
  if (own.length === 0) return undefined;
  const alpha = meanInterval(own.map((l) => l.best!.alpha));
  const loss = meanInterval(own.map((l) => l.best!.testLoss));
  return {
    claim: `along the line from ${label(control)} (alpha = 0) to ${label(arm)} (alpha = 1), the test loss is lowest toward the piggybacked solution`,
    short:
      'on the line from the control (alpha = 0) to the arm (alpha = 1), the test loss is lowest toward the arm: alpha of the lowest test loss',
    arm,
    brief: briefText(alpha, (x) => formatNumber(x, 2)),
    evidence:
      'Figures 3.2 to 3.4: train and test loss along w(alpha) = (1 - alpha) w_a + alpha w_b (Experiment A)',
    measurement: `alpha of the lowest test loss: ${intervalText(alpha, (x) => formatNumber(x, 2))}; that test loss: ${intervalText(loss, (x) => formatNumber(x), false)}`,
    holds: reading(alpha, true, 'lowest beyond the small-batch solution'),
  };
}

function distances(r: ReportJson, arm: string): ClaimRow | undefined {
  const last = lastPoints(r, arm);
  if (last.length === 0 || last.some((a) => !a.batchSizes)) return undefined;
  const sizes = [...new Set(last.flatMap((a) => a.batchSizes!.map((b) => b.batchSize)))].sort(
    (a, b) => a - b,
  );
  const at = (a: ReportPoint, b: number, key: 'toTrain' | 'toTotal') =>
    a.batchSizes!.find((x) => x.batchSize === b)?.[key] ?? NaN;
  const parts: string[] = [];
  const verdicts: string[] = [];
  for (const key of ['toTrain', 'toTotal'] as const) {
    const name = key === 'toTrain' ? '|g_B - g_train|/d' : '|g_B - g_total|/d';
    const means = sizes.map(
      (b) =>
        `B = ${b}: ${intervalText(meanInterval(last.map((a) => at(a, b, key))), (x) => formatNumber(x), false)}`,
    );
    parts.push(`${name}: ${means.join('; ')}`);
    for (let i = 1; i < sizes.length; i++) {
      const step = pairedInterval(
        last.map((a) => at(a, sizes[i]!, key)),
        last.map((a) => at(a, sizes[i - 1]!, key)),
      );
      verdicts.push(
        reading(step, false, `${name} at B = ${sizes[i]} not below B = ${sizes[i - 1]}`),
      );
    }
  }
  const failed = verdicts.find((v) => v.startsWith('does not hold'));
  const unshown = verdicts.find((v) => v.startsWith('not shown'));
  return {
    claim: `at ${label(arm)}'s last epoch, the mini-batch gradients' distances from g_train and g_total shrink as B grows`,
    short: `at the arm's last epoch, the mini-batch gradients' distances from g_train and g_total shrink as B grows: |g_B - g_train|/d at B = ${sizes[0]} and ${sizes[sizes.length - 1]}`,
    arm,
    brief: [sizes[0]!, sizes[sizes.length - 1]!]
      .map((b) => formatNumber(meanInterval(last.map((a) => at(a, b, 'toTrain'))).mean))
      .join(' → '),
    evidence:
      "Tables 3.2 to 3.6: Experiment B's histograms of both distances in bins of 0.5 d, by B",
    measurement: parts.join('<br>'),
    holds: failed ?? unshown ?? 'holds',
  };
}

/**
 * The claims table's rows from a study's report.json.
 *
 * @example
 * ```ts
 * for (const row of thesisClaims(report)) console.log(row.claim, row.holds);
 * ```
 */
export function thesisClaims(r: ReportJson): ClaimRow[] {
  const arms = r.config.process2.arms.map((b) => `arm-${b}`);
  const [control, ...piggybacked] = arms;
  if (control === undefined) return [];
  const rows: ClaimRow[] = [];
  for (const arm of piggybacked) rows.push(generalisation(r, control, arm));
  for (const arm of piggybacked) rows.push(...flatness(r, control, arm));
  for (const arm of piggybacked) {
    const row = line(r, control, arm);
    if (row) rows.push(row);
  }
  for (const arm of arms) {
    const row = distances(r, arm);
    if (row) rows.push(row);
  }
  return rows;
}
