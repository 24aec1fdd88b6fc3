/**
 * The switch study's tables: each arm's paired differences from the small-batch control and
 * from the fixed switch, against a hand computation on made-up per-seed numbers, and which arm
 * of the fixed switch an arm is compared with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SwitchStudyConfig } from '../../src/experiments/switch-config';
import { armTable, intervalText, overviewTable } from '../../src/report/switch-report';
import {
  fixedReference,
  pairedAgainst,
  type SwitchArm,
  type SwitchModel,
  type SwitchOutcome,
} from '../../src/report/switch-table';

function arm(name: string, accuracy: number[], steps: number[]): SwitchArm {
  const [variant, phase] = name.split('/') as [string, string];
  const b = /^arm-(\d+)$/.exec(phase);
  return {
    variant,
    phase,
    name,
    ...(b ? { batchSize: Number(b[1]) } : {}),
    outcomes: accuracy.map((a, i): SwitchOutcome => ({
      testAccuracy: a,
      testLoss: 1 - a,
      sharpness: NaN,
      steps: steps[i]!,
      examples: 1000,
      seconds: 10,
      finalBatchSize: 256,
      branchEpoch: 3,
    })),
  };
}

const model: SwitchModel = {
  runDir: '/nowhere',
  config: {
    seeds: [0, 1, 2],
    control: 'small/arm-256',
    fixedSwitch: 'fixed',
    batchSize: 256,
    variants: [],
  } as unknown as SwitchStudyConfig,
  data: 'made up',
  gradscope: '0',
  trainSize: 100,
  sharpnessLabel: undefined,
  criticalBatch: [],
  arms: [
    arm('small/arm-256', [0.9, 0.92, 0.91], [700, 700, 700]),
    arm('small/ramp-noise-scale', [0.91, 0.93, 0.9], [300, 320, 310]),
    arm('fixed/arm-1000', [0.92, 0.93, 0.92], [620, 620, 620]),
    arm('fixed/arm-5000', [0.93, 0.94, 0.95], [602, 602, 602]),
    arm('accuracy/arm-5000', [0.94, 0.94, 0.97], [402, 502, 452]),
  ],
};

/** Equal to a relative 1e-9 (the project's t quantile is a bisection to about 1e-11). */
function near(actual: number, expected: number): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-9 * Math.abs(expected),
    `${actual} against ${expected}`,
  );
}

test('paired intervals against the control and the fixed switch, by hand', () => {
  const [control, ramp, fixed1000, fixed5000, accuracy] = model.arms as [
    SwitchArm,
    SwitchArm,
    SwitchArm,
    SwitchArm,
    SwitchArm,
  ];
  // the fixed switch's arm of the same B2; a ramp: its largest
  assert.equal(fixedReference(model, accuracy).name, 'fixed/arm-5000');
  assert.equal(fixedReference(model, ramp).name, 'fixed/arm-5000');
  assert.equal(fixedReference(model, fixed1000).name, 'fixed/arm-1000');
  // accuracy/arm-5000 - control: D = 0.04, 0.02, 0.06; mean 0.04, s_D = 0.02,
  // t_{0.975, 2} = 4.302652729911275: half-width 4.302652729911275 * 0.02 / sqrt(3)
  const half = (4.302652729911275 * 0.02) / Math.sqrt(3);
  const toControl = pairedAgainst(accuracy, control, 'testAccuracy')!;
  near(toControl.mean, 0.04);
  near(toControl.low!, 0.04 - half);
  near(toControl.high!, 0.04 + half);
  assert.equal(intervalText(toControl, 4), '+0.0400 [-0.0097, +0.0897]');
  // against fixed/arm-5000: D = 0.01, 0.00, 0.02 -> mean 0.01, s_D = 0.01
  const toFixed = pairedAgainst(accuracy, fixed5000, 'testAccuracy')!;
  const halfFixed = (4.302652729911275 * 0.01) / Math.sqrt(3);
  near(toFixed.high!, 0.01 + halfFixed);
  // steps against the control: D = -298, -198, -248 -> mean -248, s_D = 50; fewer steps: "lower"
  const steps = pairedAgainst(accuracy, control, 'steps')!;
  near(steps.mean, -248);
  near(steps.high!, -248 + (4.302652729911275 * 50) / Math.sqrt(3));
  const table = armTable(model, accuracy);
  const stepsRow = table.rows.find((r) => r[0] === 'optimizer steps')!;
  assert.equal(stepsRow[3], 'lower');
  const accuracyRow = table.rows.find((r) => r[0] === 'final test accuracy')!;
  assert.equal(accuracyRow[2], '+0.0400 [-0.0097, +0.0897]');
  assert.equal(accuracyRow[3], 'not distinguishable');
  // equal on every seed: said so
  const examplesRow = table.rows.find((r) => r[0] === 'training examples')!;
  assert.equal(examplesRow[3], 'the same on every seed');
  // the reference against itself has no interval
  assert.equal(pairedAgainst(control, control, 'steps'), undefined);
  assert.equal(armTable(model, control).rows[0]![2], 'the reference itself');
  // the overview: steps saved against the control's mean of 700
  const overview = overviewTable(model);
  const accuracyLine = overview.rows.find((r) => r[0] === 'accuracy/arm-5000')!;
  assert.equal(accuracyLine[7], `${(100 * (1 - 452 / 700)).toFixed(1)}%`);
});

test('one seed: a mean difference, no interval', () => {
  const one = pairedAgainst(
    arm('a/arm-1000', [0.95], [1]),
    arm('b/arm-256', [0.9], [1]),
    'testAccuracy',
  )!;
  assert.equal(intervalText(one, 4), '+0.0500 (one seed: no interval)');
});
