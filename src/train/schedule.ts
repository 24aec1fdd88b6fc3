/**
 * Batch size and learning rate per epoch (epochs count from 1).
 *
 * - constant: B and lr throughout.
 * - increasing (Smith, Kindermans, Ying and Le 2018): from each epoch in `at`, B is
 *   multiplied by `factor`; lr stays.
 * - lr-decay: its twin for comparison: from each epoch in `at`, lr is divided by
 *   `factor`; B stays. The two follow the same noise-scale schedule lr/B.
 */
import { expected, isPositiveInteger } from '../core/errors';

export type ScheduleSpec =
  | { kind: 'constant' }
  | { kind: 'increasing'; at: number[]; factor: number }
  | { kind: 'lr-decay'; at: number[]; factor: number };

export interface EpochSettings {
  batchSize: number;
  learningRate: number;
}

export function checkSchedule(spec: ScheduleSpec, option = 'schedule'): void {
  if (spec.kind === 'constant') return;
  if (spec.kind !== 'increasing' && spec.kind !== 'lr-decay')
    throw expected(
      '"constant", "increasing" or "lr-decay"',
      `${option}.kind`,
      (spec as { kind: unknown }).kind,
    );
  if (!Array.isArray(spec.at) || spec.at.length === 0 || !spec.at.every(isPositiveInteger))
    throw expected('a non-empty list of epochs (positive integers)', `${option}.at`, spec.at);
  if (spec.at.some((e, i) => i > 0 && e <= spec.at[i - 1]!))
    throw expected('epochs in increasing order', `${option}.at`, spec.at);
  if (typeof spec.factor !== 'number' || !(spec.factor > 1))
    throw expected('a number greater than 1', `${option}.factor`, spec.factor);
}

export function epochSettings(
  spec: ScheduleSpec,
  epoch: number,
  base: EpochSettings,
): EpochSettings {
  if (spec.kind === 'constant') return { ...base };
  const passed = spec.at.filter((e) => e <= epoch).length;
  const scale = spec.factor ** passed;
  return spec.kind === 'increasing'
    ? { batchSize: Math.round(base.batchSize * scale), learningRate: base.learningRate }
    : { batchSize: base.batchSize, learningRate: base.learningRate / scale };
}
