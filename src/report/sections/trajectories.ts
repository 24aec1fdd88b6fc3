/** Training trajectories (Li et al. 2018, section 7): per seed the paths of process 1 and
 * every arm in their PCA plane over the loss, and the paths' coordinates. */
import { formatNumber } from '../format-number';
import type { Block, Section } from '../section';
import { phaseLabel, type StudyModel } from '../study-model';
import { trajectoryFigure } from '../trajectory-figure';

export function trajectoriesSection(m: StudyModel): Section {
  const blocks: Block[] = [];
  if (m.trajectories.length === 0)
    blocks.push({ kind: 'paragraph', text: 'Not measured in this run.' });
  else
    blocks.push({
      kind: 'paragraph',
      text: 'Li et al. (2018), section 7: the checkpoints of process 1 and of every arm, as w_epoch − w_final, in the plane of their first two principal components, the final solution of the largest-B arm at the origin; every arm leaves from the branch point. The loss is measured over that plane; each path is drawn with its epochs.',
    });
  for (const t of m.trajectories) {
    const name = `trajectory-seed-${t.seed}`;
    blocks.push(
      {
        kind: 'figure',
        id: name,
        file: name,
        svg: trajectoryFigure(t, `Seed ${t.seed}: ${t.set} loss over the trajectories' plane`),
        caption: `Seed ${t.seed}: the two components carry ${(100 * t.explained[0]).toFixed(1)}% and ${(100 * t.explained[1]).toFixed(1)}% of the sum of |w_epoch − w_final|²; origin ${t.final.label}; ${t.xs.length} × ${t.ys.length} points (batch norm: ${t.bn}) in ${t.seconds.toFixed(1)} s.`,
      },
      {
        kind: 'details',
        summary: `Seed ${t.seed}: the paths' coordinates`,
        blocks: [
          {
            kind: 'table',
            table: {
              head: ['path', 'epoch', 'x (1st component)', 'y (2nd component)'],
              rows: t.paths.flatMap((p) =>
                p.points.map((q) => [
                  phaseLabel(p.label, m.config.process2.arms),
                  String(q.epoch),
                  formatNumber(q.x),
                  formatNumber(q.y),
                ]),
              ),
              attributes: { 'data-trajectory-table': t.seed },
            },
          },
        ],
      },
    );
  }
  return { kind: 'section', id: 'trajectories', title: 'Training trajectories', blocks };
}
