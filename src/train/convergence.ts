/**
 * When has process 1's test accuracy converged? One epoch's test accuracy is noisy
 * (on MNIST it moves by about 0.5 points from epoch to epoch), so a rule on the raw
 * value fires at the first dip. The rule here judges the moving average over the
 * last `window` epochs:
 *
 *   a_bar(e) = (1/window) sum_{j = e-window+1..e} acc(j)       (from epoch `window` on)
 *
 * an epoch improves when a_bar(e) > best a_bar so far + threshold; the phase has
 * converged after `patience` epochs without improvement. The branch is taken at the
 * epoch that triggered (`branch: end`, the end of that window) or at the end of the
 * window with the best average (`branch: best`). window = 1 is the plain rule.
 */

export interface Convergence {
  patience: number;
  /** Least gain of the moving average that counts as an improvement (accuracy, 0..1). */
  threshold: number;
  /** Epochs in the moving average (default 5). */
  window?: number;
  /** Where process 2 branches: the epoch that triggered (default) or the best average's. */
  branch?: 'end' | 'best';
}

export const DEFAULT_WINDOW = 5;

/** What the rule carries from epoch to epoch (stored in each checkpoint, so resume is exact). */
export interface ConvergenceState {
  /** The best moving average so far (-1 before the first full window). */
  bestTestAccuracy: number;
  epochsSinceBest: number;
  /** The last `window` test accuracies, oldest first. */
  recentAccuracies?: number[];
  /** The epoch whose window gave bestTestAccuracy. */
  bestEpoch?: number;
}

export interface Judgement {
  state: ConvergenceState;
  /** The moving average at this epoch (undefined before the window is full). */
  smoothed: number | undefined;
  converged: boolean;
  /** Where to branch, when converged. */
  branchEpoch: number | undefined;
}

/** The rule after epoch `epoch` with test accuracy `accuracy`; pure. */
export function judgeEpoch(
  rule: Convergence | undefined,
  state: ConvergenceState,
  epoch: number,
  accuracy: number,
): Judgement {
  const window = rule?.window ?? DEFAULT_WINDOW;
  const recent = [...(state.recentAccuracies ?? []), accuracy].slice(-window);
  const next: ConvergenceState = { ...state, recentAccuracies: recent };
  if (recent.length < window)
    return { state: next, smoothed: undefined, converged: false, branchEpoch: undefined };
  const smoothed = recent.reduce((s, a) => s + a, 0) / window;
  if (smoothed > state.bestTestAccuracy + (rule?.threshold ?? 0)) {
    next.bestTestAccuracy = smoothed;
    next.bestEpoch = epoch;
    next.epochsSinceBest = 0;
  } else {
    next.epochsSinceBest = state.epochsSinceBest + 1;
  }
  const converged = rule !== undefined && next.epochsSinceBest >= rule.patience;
  return {
    state: next,
    smoothed,
    converged,
    branchEpoch: converged
      ? rule.branch === 'best'
        ? (next.bestEpoch ?? epoch)
        : epoch
      : undefined,
  };
}

/** The rule in words, for the status line and the report. */
export function describeConvergence(rule: Convergence): string {
  const window = rule.window ?? DEFAULT_WINDOW;
  return (
    `no gain of the ${window}-epoch moving average of test accuracy above ${rule.threshold} ` +
    `for ${rule.patience} epochs; branch at ${rule.branch === 'best' ? 'the best average' : 'the epoch that triggered'}`
  );
}
