/**
 * A language model's report reads as text does (issue 30): loss per token, perplexity (exp of
 * the per-token loss in nats) beside the test loss, next-token accuracy; an image study's
 * report keeps its words.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { studyConclusions } from '../../src/report/conclusions';
import type { Section } from '../../src/report/section';
import { summarySection } from '../../src/report/sections/summary';
import { trainingSection } from '../../src/report/sections/training';
import { spread, type StudyModel } from '../../src/report/study-model';
import type { Table } from '../../src/report/table';

const TEST_LOSS = [2.25, 2.0];

/** A finished one-seed study (process 1 and two arms), as studyModel reads it. */
function model(tokens: boolean): StudyModel {
  const epoch = (phase: string, epoch: number, testLoss: number) => ({
    kind: 'epoch' as const,
    phase,
    epoch,
    step: epoch * 10,
    batchSize: 8,
    learningRate: 1e-3,
    trainLoss: testLoss - 0.25,
    trainAccuracy: 0.5,
    testLoss,
    testAccuracy: 0.4,
    seconds: 1,
    seed: 0,
  });
  const epochs = [
    epoch('process1', 1, 2.5),
    epoch('arm-8', 2, TEST_LOSS[0]!),
    epoch('arm-32', 2, TEST_LOSS[1]!),
  ];
  const row = (phase: string, label: string, testLoss: number) => ({
    phase,
    label,
    epoch: 2,
    status: 'finished',
    trainLoss: spread([testLoss - 0.25]),
    trainAccuracy: spread([0.5]),
    testLoss: spread([testLoss]),
    testAccuracy: spread([0.4]),
  });
  return {
    runDir: '/nowhere',
    name: 'tiny',
    scale: 'demo',
    gradscope: '0.0.0',
    data: tokens ? 'found a text' : 'found MNIST',
    tokens,
    config: { process2: { arms: [8, 32], epochs: 1 } } as StudyModel['config'],
    seeds: [0],
    phases: ['process1', 'arm-8', 'arm-32'],
    summary: [
      row('arm-8', 'B2 = 8 (small-batch control)', TEST_LOSS[0]!),
      row('arm-32', 'B2 = 32 (piggybacked)', TEST_LOSS[1]!),
    ],
    epochs,
    statuses: [],
    noiseScale: [],
    analysis: [],
    lines: [],
    sharpness: [],
    trajectories: [],
    timings: [],
    criticalBatch: [],
  };
}

function summaryTable(s: Section): Table {
  const block = s.blocks.find((b) => b.kind === 'table');
  assert.ok(block && block.kind === 'table');
  return block.table;
}

test("a language model's summary: loss per token, perplexity beside the test loss, next-token accuracy", () => {
  const s = summarySection(model(true));
  const table = summaryTable(s);
  assert.deepEqual(table.head.slice(3), [
    'train loss per token',
    'train next-token accuracy',
    'test loss per token',
    'test perplexity',
    'test next-token accuracy',
  ]);
  // perplexity = exp(per-token loss in nats)
  const perplexities = table.rows.map((r) => r[6]);
  for (const [i, cell] of perplexities.entries()) {
    assert.ok(typeof cell === 'object' && cell !== null);
    assert.equal(cell.attributes?.['data-metric'], 'testPerplexity');
    assert.ok(Math.abs(Number(cell.attributes?.['data-value']) - Math.E ** TEST_LOSS[i]!) < 1e-12);
  }
  assert.match(s.title ?? '', /per token/);
  assert.deepEqual(
    studyConclusions(model(true)).map((c) => c.quantity),
    ['final test next-token accuracy', 'final test loss per token'],
  );
  const curves = JSON.stringify(
    trainingSection(model(true), { phases: [], lines: [], sharpness: [] }),
  );
  assert.match(curves, /Test next-token accuracy by epoch/);
  assert.match(curves, /Cross-entropy per token by epoch/);
});

test("an image study's summary keeps its words and has no perplexity", () => {
  const table = summaryTable(summarySection(model(false)));
  assert.deepEqual(table.head.slice(3), [
    'train loss',
    'train accuracy',
    'test loss',
    'test accuracy',
  ]);
  assert.deepEqual(
    studyConclusions(model(false)).map((c) => c.quantity),
    ['final test accuracy', 'final test loss'],
  );
});
