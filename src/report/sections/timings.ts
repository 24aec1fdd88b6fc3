/** Timings: training and Experiment B per seed and phase, Experiment A and the trajectories
 * in all. */
import type { Section } from '../section';
import type { StudyModel } from '../study-model';

export function timingsSection(m: StudyModel): Section {
  const lineSeconds = m.lines.reduce((s, l) => s + l.seconds, 0);
  const trajectories = m.trajectories.length
    ? ` Training trajectories: ${m.trajectories.reduce((s, t) => s + t.seconds, 0).toFixed(1)} s for ${m.trajectories.length} seed(s).`
    : '';
  return {
    kind: 'section',
    id: 'timings',
    title: 'Timings',
    blocks: [
      {
        kind: 'table',
        table: {
          head: ['seed', 'phase', 'training (s)', 'Experiment B (s)'],
          rows: m.timings.map((t) => [
            String(t.seed),
            t.phase,
            t.trainingSeconds.toFixed(1),
            t.analysisSeconds.toFixed(1),
          ]),
        },
      },
      {
        kind: 'paragraph',
        text: `Experiment A: ${lineSeconds.toFixed(1)} s for ${m.lines.length} lines.${trajectories}`,
      },
    ],
  };
}
