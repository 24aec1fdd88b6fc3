/** A training trajectory on the loss over its PCA plane (trajectory.ts): Li et al.'s
 * figure, each path (process 1, each arm) a line with its epochs marked, the final solution
 * at the origin. */
import type { TrajectoryResult } from '../analysis/trajectory';
import { contourChart } from './contour-chart';

export function trajectoryFigure(r: TrajectoryResult, title?: string): string {
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  const process1 = r.paths.find((p) => p.label === 'process1');
  const branch = process1?.points.at(-1);
  const process1Files = new Set(process1?.points.map((q) => q.file) ?? []);
  return contourChart({
    title: title ?? `${r.set} loss over the trajectory's PCA plane (batch norm: ${r.bn})`,
    xLabel: `1st PCA component (${percent(r.explained[0])})`,
    yLabel: `2nd PCA component (${percent(r.explained[1])})`,
    zLabel: `${r.set} cross-entropy`,
    x: r.xs,
    y: r.ys,
    z: r.loss,
    logZ: true,
    paths: r.paths.map((p) => {
      // an arm is drawn from the branch point: its first point when the path holds it (a
      // study's trajectory does: process 1's checkpoint at the branch epoch), otherwise
      // process 1's last checkpoint; a point another path already labels is not relabelled
      const startsShared = p.points[0] !== undefined && process1Files.has(p.points[0].file);
      return {
        label: p.label,
        points: [
          ...(p.label.startsWith('arm-') && branch && !startsShared
            ? [{ x: branch.x, y: branch.y }]
            : []),
          ...p.points.map((q, k) =>
            k === 0 && startsShared && p.label !== 'process1'
              ? { x: q.x, y: q.y }
              : { x: q.x, y: q.y, label: String(q.epoch) },
          ),
        ],
      };
    }),
    points: [{ x: 0, y: 0, label: r.final.label }],
  });
}
