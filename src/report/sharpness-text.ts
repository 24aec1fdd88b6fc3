/**
 * The sharpness measurement as the command prints it: f(w), Keskar's sharpness per box
 * size and space, the Hessian's eigenvalues, trace and spectral density, and the blocks of
 * the parameter groups.
 */
import type { SharpnessResult } from '../analysis/sharpness';
import { tableMarkdown } from './table';

/** A value and its standard error; one probe has none. */
const withError = (value: number, error: number): string =>
  `${value.toPrecision(4)} ${Number.isFinite(error) ? `+- ${error.toPrecision(2)}` : '(one probe: no standard error)'}`;

export function sharpnessText(r: SharpnessResult): string {
  const lines = [
    `f(w) = ${r.loss.toPrecision(6)} on ${r.examples} ${r.set} examples (bn ${r.mode})`,
    '',
    tableMarkdown({
      head: ['eps', 'space', 'dimension', 'max f(w + z)', 'sharpness', 'iterations', 'stop'],
      rows: r.keskar.map((k) => [
        String(k.eps),
        k.space,
        String(k.dimension),
        k.maxLoss.toPrecision(6),
        k.sharpness.toPrecision(4),
        String(k.iterations),
        k.stop,
      ]),
    }),
    '',
    `Hessian over ${r.hessian.examples} of those examples; eigenvalues (${r.hessian.eigen}): ${r.hessian.eigenvalues.map((e) => `${e.value.toPrecision(5)}${e.residual === undefined ? '' : ` (residual ${e.residual.toExponential(1)})`}${e.converged ? '' : ' (not converged)'}`).join(', ') || 'none asked'}`,
    r.hessian.trace
      ? `Hessian trace (Hutchinson, ${r.hessian.trace.probes} probes): ${r.hessian.trace.trace.toPrecision(5)} +- ${r.hessian.trace.standardError.toPrecision(2)}`
      : 'Hessian trace: none asked',
    r.hessian.density
      ? `Spectral density (SLQ, ${r.hessian.density.probes.length} probes x ${r.hessian.density.steps} steps): tr(H)/n = ${withError(r.hessian.density.moments.first, r.hessian.density.moments.firstError)}, tr(H^2)/n = ${withError(r.hessian.density.moments.second, r.hessian.density.moments.secondError)}`
      : 'Spectral density: none asked',
  ];
  if (r.hessian.layers)
    lines.push(
      '',
      tableMarkdown({
        head: ['parameter group', 'size', 'top eigenvalue', 'residual', 'trace (Hutchinson)'],
        rows: r.hessian.layers.map((b) => [
          b.group,
          String(b.size),
          b.topEigenvalue.toPrecision(5),
          b.residual.toExponential(1),
          `${b.trace.toPrecision(5)} +- ${b.standardError.toPrecision(2)}`,
        ]),
      }),
    );
  return lines.join('\n') + '\n';
}
