/**
 * Every path of a training run directory (`gradscope train --out DIR`, and each seed of a
 * study, seeds/<s>/):
 *
 *   config.json                 the resolved config (a resume must match it)
 *   metrics.jsonl               one line per epoch, analysis point and status
 *   checkpoints/<phase>/epoch-NNNN.safetensors (+ .train.safetensors)
 *   checkpoints/branch.safetensors             process 1's state where process 2 branches
 *   analysis/<phase>-epoch-<n>.json            Experiment B's points
 *   tensorboard/<phase>/events.out.tfevents.*  TensorBoard's view of the same
 *
 * Nothing outside src/store/ joins these names.
 */
import * as path from 'path';

/** DIR/config.json. */
export function configFile(runDir: string): string {
  return path.join(runDir, 'config.json');
}

/** DIR/metrics.jsonl. */
export function metricsFile(runDir: string): string {
  return path.join(runDir, 'metrics.jsonl');
}

/** DIR/checkpoints, the folder of phase folders. */
export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

/** DIR/checkpoints/<phase>, a phase's epoch checkpoints. */
export function phaseCheckpointDir(runDir: string, phase: string): string {
  return path.join(checkpointsDir(runDir), phase);
}

/** DIR/checkpoints/branch.safetensors, the hand-over from process 1 to the arms. */
export function branchFile(runDir: string): string {
  return path.join(checkpointsDir(runDir), 'branch.safetensors');
}

/** DIR/analysis/<phase>-epoch-<n>.json, one Experiment B point. */
export function analysisFile(runDir: string, phase: string, epoch: number): string {
  return path.join(analysisDir(runDir), `${phase}-epoch-${epoch}.json`);
}

/** DIR/analysis, the Experiment B points. */
export function analysisDir(runDir: string): string {
  return path.join(runDir, 'analysis');
}

/** DIR/tensorboard, TensorBoard's event files. */
export function tensorboardDir(runDir: string): string {
  return path.join(runDir, 'tensorboard');
}
