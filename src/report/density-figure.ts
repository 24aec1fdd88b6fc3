/**
 * The Hessian's spectral density (spectral-density.ts) as PyHessian draws it: the
 * Gaussian-broadened stochastic-Lanczos-quadrature estimate on a log density axis,
 * eigenvalue on x; several solutions overlaid (the small-batch control and each
 * piggybacked arm). Far from every node the broadened density underflows to zero, which a
 * log axis cannot show: values are drawn no lower than 1e-8 of the largest density.
 */
import type { SpectralDensity } from '../analysis/spectral-density';
import { lineChart } from './line-chart';

export function densityFigure(
  title: string,
  curves: { name: string; density: SpectralDensity }[],
): string {
  const top = Math.max(...curves.flatMap((c) => c.density.density));
  const floor = top > 0 ? top * 1e-8 : 1e-300;
  return lineChart({
    title,
    xLabel: 'eigenvalue of the Hessian',
    leftLabel: 'density (log)',
    logLeft: true,
    series: curves.map((c) => ({
      name: c.name,
      axis: 'left' as const,
      points: c.density.grid.map((x, i): [number, number] => [
        x,
        Math.max(c.density.density[i]!, floor),
      ]),
    })),
  });
}
