/**
 * When training has diverged. A non-finite loss is not enough: Adam at lr 1e6 keeps
 * finite losses of 1e12 at 13-23% accuracy and would be reported "finished". The rule:
 *
 *   diverged  <=>  a training step's mean loss, or the epoch's test loss, is non-finite
 *                  or exceeds  1000 x max(L0, ln C)
 *
 * with C the number of classes and L0 the loss of the phase's first step. The loss
 * of a C-class softmax with near-uniform outputs (a fresh network) is ln C, and
 * training only lowers it; a network whose initialisation gives more starts at L0
 * instead. A mean cross-entropy of 1000 times that means the correct class gets a
 * log-probability of about -2300 (C = 10): logits thousands of units apart, which
 * no converging run comes near, while any run that blows up crosses it within a few
 * steps of leaving its basin. It cannot fire on normal training.
 */
export const DIVERGENCE_FACTOR = 1000;

/**
 * The exit status of `train` and of a whole `run` or `demo` in which a phase diverged: not 0,
 * so a script or a batch system sees the failure; not 1 (a fault), 2 (an input error) or
 * 128 + a signal (stopped), so it can tell this one. The run directory is complete all the
 * same (metrics, the checkpoints before the divergence, the report).
 */
export const DIVERGED_EXIT_STATUS = 3;

export function divergenceBound(classes: number, initialLoss: number | undefined): number {
  const initial = initialLoss !== undefined && Number.isFinite(initialLoss) ? initialLoss : 0;
  return DIVERGENCE_FACTOR * Math.max(Math.log(classes), initial);
}

/** Why `loss` counts as divergence, or undefined when it does not. */
export function divergenceReason(loss: number, bound: number): string | undefined {
  if (!Number.isFinite(loss)) return `became ${loss}`;
  if (loss > bound)
    return `became ${loss.toExponential(3)}, which exceeds ${DIVERGENCE_FACTOR} x max(initial loss, ln C) = ${bound.toFixed(1)}`;
  return undefined;
}
