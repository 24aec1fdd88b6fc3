/** `gradscope analyze gradients|line|sharpness ...`: the experiments on saved states. */
import { GradscopeInputError } from '../engine/errors';
import { analyzeGradientsCommand } from './analyze-gradients';
import { analyzeLineCommand, analyzeSurfaceCommand } from './analyze-line';
import { analyzeSharpnessCommand } from './analyze-sharpness';
import { analyzeTrajectoryCommand } from './analyze-trajectory';
import type { Log } from './log';
import { checkOutputFolder } from './output-folder';

const str = { type: 'string' as const };

const ANALYSES: Record<
  string,
  (values: Record<string, unknown>, log: Log, positionals: string[]) => unknown
> = {
  gradients: analyzeGradientsCommand,
  line: analyzeLineCommand,
  surface: analyzeSurfaceCommand,
  sharpness: analyzeSharpnessCommand,
  trajectory: analyzeTrajectoryCommand,
};

export const analyzeCommand = {
  summary:
    'Experiment B (gradients), Experiment A (line, surface), sharpness, training trajectories, on checkpoints',
  options: {
    checkpoint: str,
    network: str,
    data: str,
    'batch-sizes': str,
    samples: str,
    bn: str,
    'ghost-batch': str,
    cap: str,
    out: str,
    from: str,
    to: str,
    alpha: str,
    'sample-size': str,
    'eval-batch': str,
    through: str,
    grid: str,
    set: str,
    eps: str,
    subspace: str,
    iterations: str,
    'top-k': str,
    hutchinson: str,
    'hessian-sample': str,
    eigen: str,
    'eigen-steps': str,
    density: { type: 'boolean' as const },
    'density-probes': str,
    'density-steps': str,
    draws: str,
    layers: { type: 'boolean' as const },
    checkpoints: { type: 'string' as const, multiple: true },
    final: str,
    points: str,
  },
  run(values: Record<string, unknown>, positionals: string[], log: Log) {
    const which = positionals[0];
    const analysis = which ? ANALYSES[which] : undefined;
    if (!analysis)
      throw new GradscopeInputError(
        `Expected one of ${Object.keys(ANALYSES).join(', ')} after "analyze" but received ${which === undefined ? 'nothing' : JSON.stringify(which)}`,
      );
    if (values.out !== undefined) checkOutputFolder(String(values.out));
    return analysis(values, log, positionals.slice(1));
  },
};
