/**
 * When process 1 switches to process 2 by the gradient noise scale (docs/mathematics.md,
 * "Switch and ramp rules"): at the end of an epoch, process 1 ends when the moving average
 * of the live B_simple (noise-scale.ts) has reached a fraction f of the target batch size
 * B2:
 *
 *   switch after epoch e  when  B_simple(e) >= f B2,   0 < f <= 1
 *
 * B_simple(e) is the ratio of the scale-free moving averages (noise-scale.ts) after the last
 * live measurement taken in epochs 1..e (the phase state's averages at the epoch's end), counted
 * only when the average of |G|^2 (divided by each measurement's scale) is positive (else the signal is lost in the noise of the estimate, and the rule
 * waits). B2 is `batchSize`, or the largest fixed arm when it is left out. The rule is judged
 * at epoch boundaries only, after the epoch's checkpoint, so process 2 branches from that
 * checkpoint and a resume judges the same state again.
 */
import { expected, isPositiveInteger } from '../core/errors';
import { checkCount, LIMITS } from '../engine/limits';
import type { NoiseScaleRecord } from '../store/metrics';
import { simpleNoiseScale, type NoiseAverages } from './noise-scale';

/** The noise-scale switch: process 1 ends once EMA B_simple >= fraction x batchSize. */
export interface NoiseScaleSwitch {
  /** f in (0, 1]. */
  fraction: number;
  /** B2 the rule aims at; default: the largest of the fixed arms (`piggyback.arms`). */
  batchSize?: number;
}

/** How process 1 may end besides its epoch count (the convergence rule is the other way). */
export interface SwitchRule {
  noiseScale: NoiseScaleSwitch;
}

/** The rule with its target resolved. */
export interface SwitchTarget {
  fraction: number;
  batchSize: number;
}

/** Checks a switch rule's fields; `at` names it ("switchAt" or "process1.switchAt"). */
export function checkSwitchRule(rule: SwitchRule, at: string): void {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    throw expected('{ noiseScale: { fraction, batchSize } }', at, rule);
  for (const key of Object.keys(rule))
    if (key !== 'noiseScale') throw expected('only the field noiseScale', at, key);
  const n = rule.noiseScale;
  if (typeof n !== 'object' || n === null || Array.isArray(n))
    throw expected('{ fraction, batchSize }', `${at}.noiseScale`, n);
  for (const key of Object.keys(n))
    if (key !== 'fraction' && key !== 'batchSize')
      throw expected('only the fields fraction and batchSize', `${at}.noiseScale`, key);
  if (typeof n.fraction !== 'number' || !(n.fraction > 0 && n.fraction <= 1))
    throw expected('a fraction in (0, 1]', `${at}.noiseScale.fraction`, n.fraction);
  if (n.batchSize !== undefined) {
    if (!isPositiveInteger(n.batchSize))
      throw expected(
        'a positive integer (a batch size)',
        `${at}.noiseScale.batchSize`,
        n.batchSize,
      );
    checkCount(n.batchSize, LIMITS.batchSize, `${at}.noiseScale.batchSize`);
  }
}

/** The rule's B2: its own batchSize, else the largest fixed arm (undefined when neither). */
export function switchTarget(
  rule: SwitchRule,
  arms: number[] | undefined,
): SwitchTarget | undefined {
  const batchSize = rule.noiseScale.batchSize ?? (arms?.length ? Math.max(...arms) : undefined);
  return batchSize === undefined ? undefined : { fraction: rule.noiseScale.fraction, batchSize };
}

/** B_simple of the averages, when they hold a measurement and a positive |G|^2; else undefined. */
export function liveNoiseScale(averages: NoiseAverages | undefined): number | undefined {
  if (!averages || !(averages.weight > 0) || !(averages.gradientSquared > 0)) return undefined;
  const b = simpleNoiseScale(averages);
  return Number.isFinite(b) ? b : undefined;
}

export interface SwitchJudgement {
  switched: boolean;
  /** EMA B_simple at the judgement (undefined: no usable measurement yet). */
  simpleNoiseScale: number | undefined;
  /** f B2. */
  threshold: number;
}

/** The rule at an epoch's end, given the phase state's noise-scale averages; pure. */
export function judgeSwitch(
  target: SwitchTarget,
  averages: NoiseAverages | undefined,
): SwitchJudgement {
  const b = liveNoiseScale(averages);
  const threshold = target.fraction * target.batchSize;
  return { switched: b !== undefined && b >= threshold, simpleNoiseScale: b, threshold };
}

/**
 * The epoch at whose end the rule fires, from a phase's noise-scale records in order (the
 * record's `simpleNoiseScale` is the averages' ratio after it; a record counts for the epoch
 * it was taken in); undefined when it never fires within `epochs`.
 */
export function switchEpoch(
  target: SwitchTarget,
  records: Pick<NoiseScaleRecord, 'epoch' | 'simpleNoiseScale' | 'gradientSquaredAverage'>[],
  epochs: number,
): number | undefined {
  const threshold = target.fraction * target.batchSize;
  let latest: number | undefined;
  let next = 0;
  for (let e = 1; e <= epochs; e++) {
    while (next < records.length && records[next]!.epoch <= e) {
      const r = records[next++]!;
      latest =
        r.gradientSquaredAverage > 0 && Number.isFinite(r.simpleNoiseScale)
          ? r.simpleNoiseScale
          : undefined;
    }
    if (latest !== undefined && latest >= threshold) return e;
  }
  return undefined;
}

/** The rule in words, for the status line. */
export function describeSwitch(target: SwitchTarget): string {
  return `the moving average of B_simple reaches ${target.fraction} x ${target.batchSize} = ${target.fraction * target.batchSize}`;
}
