/**
 * The critical batch size by branching (docs/mathematics.md): per seed that has run `gradscope
 * analyze critical-batch` on its run directory, the measured critical batch size at each
 * checkpoint of process 1 beside the live B_simple, as a figure and a table.
 */
import { criticalBatchFigure } from '../critical-batch-figure';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';

export function criticalBatchSection(m: StudyModel): Section | undefined {
  if (m.criticalBatch.length === 0) return undefined;
  const blocks: Block[] = [];
  for (const { seed, result } of m.criticalBatch) {
    const noise = m.noiseScale
      .filter((r) => r.seed === seed && r.phase === result.phase)
      .map((r): [number, number] => [r.atEpoch, r.simpleNoiseScale]);
    const tolerance =
      result.tolerance.kind === 'absolute'
        ? `${result.tolerance.value} nats`
        : `${100 * result.tolerance.value}% of the loss`;
    blocks.push(
      {
        kind: 'paragraph',
        text: `Seed ${seed}: from each checkpoint of ${result.phase === 'process1' ? 'process 1' : 'the run'}, one branch per batch size (${result.batchSizes.join(', ')}), each for ${result.examples} training examples with the learning-rate rule ${result.lrRule}, continuing the checkpoint's optimiser state and data stream as a piggybacked arm does; the critical batch size is the largest whose ${result.lossKind === 'train' ? `training loss on a ${result.sampleSize}-example sample` : 'test loss'} ends within ${tolerance} of every smaller one's (Merrill et al. 2025). At the grid's largest size it is a lower bound.`,
      },
      {
        kind: 'figure',
        id: `critical-batch-${seed}`,
        file: `critical-batch-seed-${seed}`,
        svg: criticalBatchFigure(
          result,
          noise,
          `Critical batch size by branching, and the live noise scale (seed ${seed})`,
        ),
        caption:
          "The measured critical batch size at each checkpoint and process 1's live B_simple on the same axes: where they part, the noise scale does not predict the critical batch size.",
      },
      {
        kind: 'table',
        table: {
          head: [
            'epoch',
            'critical batch size',
            'live B_simple',
            ...result.batchSizes.map((b) => `loss at B = ${b}`),
          ],
          rows: result.points.map((p) => [
            String(p.epoch),
            String(p.criticalBatch),
            p.liveNoiseScale === undefined ? '' : p.liveNoiseScale.toPrecision(4),
            ...result.batchSizes.map((b) => {
              const loss = p.branches.find((x) => x.batchSize === b)?.loss;
              return loss === undefined ? '' : loss === null ? 'diverged' : loss.toPrecision(5);
            }),
          ]),
        },
      },
    );
  }
  return {
    kind: 'section',
    id: 'critical-batch',
    title: 'The critical batch size by branching',
    blocks,
  };
}
