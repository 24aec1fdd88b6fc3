/**
 * `gradscope analyze gradients|line|surface|sharpness|trajectory|critical-batch ...`: the experiments on
 * saved states, each a subcommand with its own options.
 */
import { GradscopeInputError } from '../core/errors';
import { criticalBatchCommand } from './analyze-critical-batch';
import { gradientsCommand } from './analyze-gradients';
import { lineCommand, surfaceCommand } from './analyze-line';
import { sharpnessCommand } from './analyze-sharpness';
import { trajectoryCommand } from './analyze-trajectory';
import type { Command, CommandGroup } from './command';
import { checkOutputFolder } from './output-folder';

/** --out DIR is checked before the analysis runs (output-folder.ts says why). */
function outChecked(command: Command): Command {
  return {
    ...command,
    run(values, positionals, log) {
      if (typeof values.out === 'string') checkOutputFolder(values.out);
      return command.run(values, positionals, log);
    },
  };
}

const ANALYSES: Record<string, Command> = {
  gradients: outChecked(gradientsCommand),
  line: outChecked(lineCommand),
  surface: outChecked(surfaceCommand),
  sharpness: outChecked(sharpnessCommand),
  trajectory: outChecked(trajectoryCommand),
  'critical-batch': criticalBatchCommand,
};

export const analyzeCommand: CommandGroup = {
  summary:
    'Experiment B (gradients), Experiment A (line, surface), sharpness, training trajectories, on checkpoints; the critical batch size by branching',
  example: 'gradscope analyze gradients --checkpoint run/checkpoints/train/epoch-0030.safetensors',
  subcommands: ANALYSES,
  unknown: (which) =>
    new GradscopeInputError(
      `Expected one of ${Object.keys(ANALYSES).join(', ')} after "analyze" but received ${which === undefined ? 'nothing' : JSON.stringify(which)}`,
    ),
};
