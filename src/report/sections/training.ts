/** Training curves: per seed, test accuracy and train/test cross-entropy by epoch of every
 * phase, each arm drawn from the branch point. */
import { lineChart, type LineSeries } from '../line-chart';
import type { Block, Section } from '../section';
import type { StudyModel } from '../study-model';
import { quantityLabels } from '../quantity-labels';
import { pendingHtml, type StudyPending } from '../study-progress';
import { PALETTE } from '../svg';

/** The seed's training curves; undefined before its first epoch (nothing to draw). */
function curves(m: StudyModel, seed: number): { accuracy: string; loss: string } | undefined {
  if (!m.epochs.some((e) => e.seed === seed)) return undefined;
  const words = quantityLabels(m.tokens);
  const series = (
    key: 'testAccuracy' | 'trainLoss' | 'testLoss',
    dash: boolean,
    scale = 1,
  ): LineSeries[] =>
    m.phases
      .map((phase, i) => {
        const own = m.epochs.filter((e) => e.seed === seed && e.phase === phase);
        // an arm starts where process 1 ended: draw it from the branch point
        const branch =
          phase === 'process1' || own.length === 0
            ? []
            : m.epochs.filter(
                (e) => e.seed === seed && e.phase === 'process1' && e.epoch === own[0]!.epoch - 1,
              );
        const points = [...branch, ...own].map((e): [number, number] => [e.epoch, scale * e[key]]);
        return {
          name: `${phase}${key === 'testLoss' ? ' (test)' : key === 'trainLoss' ? ' (train)' : ''}`,
          axis: 'left' as const,
          points,
          dash,
          color: PALETTE[i % PALETTE.length]!,
        };
      })
      .filter((s) => s.points.length > 0);
  return {
    accuracy: lineChart({
      title: `Test ${words.accuracy} by epoch (seed ${seed})`,
      xLabel: 'epoch',
      leftLabel: `test ${words.accuracy} (%)`,
      series: series('testAccuracy', false, 100),
    }),
    loss: lineChart({
      title: `${capital(words.crossEntropy)} by epoch (seed ${seed}): train solid, test dashed`,
      xLabel: 'epoch',
      leftLabel: `${words.crossEntropy} (log scale)`,
      logLeft: true,
      series: [...series('trainLoss', false), ...series('testLoss', true)],
    }),
  };
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function trainingSection(m: StudyModel, pending: StudyPending): Section {
  const words = quantityLabels(m.tokens);
  const blocks: Block[] = [{ kind: 'html', html: pendingHtml(pending, 'training') }];
  for (const seed of m.seeds) {
    const c = curves(m, seed);
    if (!c) {
      blocks.push({ kind: 'paragraph', text: `Seed ${seed}: no epoch finished yet.` });
      continue;
    }
    blocks.push(
      {
        kind: 'figure',
        id: `curves-accuracy-${seed}`,
        file: `curves-accuracy-seed-${seed}`,
        svg: c.accuracy,
        caption: `Test ${words.accuracy} per phase; process 2 arms branch from the end of process 1.`,
      },
      {
        kind: 'figure',
        id: `curves-loss-${seed}`,
        file: `curves-loss-seed-${seed}`,
        svg: c.loss,
        caption: `Training and test ${words.crossEntropy} per phase.`,
      },
    );
  }
  return { kind: 'section', id: 'training', title: 'Training curves', blocks };
}
