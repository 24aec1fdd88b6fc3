/** A training trajectory on the loss over its PCA plane (trajectory.ts): Li et al.'s
 * figure, each path (process 1, each arm) a line with its epochs marked, the final solution
 * at the origin. */
import type { TrajectoryResult } from '../analysis/trajectory';
import { contourChart } from './contour-chart';

export function trajectoryFigure(r: TrajectoryResult, title?: string): string {
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  const branch = r.paths.find((p) => p.label === 'process1')?.points.at(-1);
  return contourChart({
    title: title ?? `${r.set} loss over the trajectory's PCA plane (batch norm: ${r.bn})`,
    xLabel: `1st PCA component (${percent(r.explained[0])})`,
    yLabel: `2nd PCA component (${percent(r.explained[1])})`,
    zLabel: `${r.set} cross-entropy`,
    x: r.xs,
    y: r.ys,
    z: r.loss,
    logZ: true,
    paths: r.paths.map((p) => ({
      label: p.label,
      // an arm is drawn from the branch point, process 1's last checkpoint
      points: [
        ...(p.label.startsWith('arm-') && branch ? [{ x: branch.x, y: branch.y }] : []),
        ...p.points.map((q) => ({ x: q.x, y: q.y, label: String(q.epoch) })),
      ],
    })),
    points: [{ x: 0, y: 0, label: r.final.label }],
  });
}
