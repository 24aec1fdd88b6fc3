/**
 * How an arm of process 2 starts from a saved state of process 1 (the branch file, or any of
 * process 1's epoch checkpoints): the network's weights and batch-norm statistics, the
 * optimiser's state and torch's RNG from the checkpoint; process 1's epoch and step counts,
 * its divergence bound and its noise-scale averages carry on, the convergence rule starts
 * fresh. The piggybacked arms (run.ts) and the branches of `analyze critical-batch` start here.
 */
import { loadNetwork } from '../engine/checkpoint';
import type { Network } from '../engine/network';
import type { Optimizer } from '../engine/optimizer';
import type { PhaseState } from './phase';
import { loadTrainingState } from './training-state';

/** The convergence rule's state before its first epoch. */
export const FRESH_RULE = { bestTestAccuracy: -1, epochsSinceBest: 0 };

/** What trainPhase needs to continue from a checkpoint as an arm: its start state and the
 * epoch the arm begins after. */
export interface ArmStart {
  start: PhaseState;
  firstEpoch: number;
}

/**
 * Loads the checkpoint `from` into `network` and `optimizer` (and torch's RNG), as an arm
 * starts from it.
 *
 * @example
 * ```ts
 * import { continueAsArm, Network, networkSpec, Optimizer } from 'gradscope';
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const optimizer = new Optimizer(network, { kind: 'adam', lr: 1e-3 });
 * const { start } = continueAsArm('runs/f1/checkpoints/process1/epoch-0010.safetensors', network, optimizer);
 * console.log(start.epoch, start.step);
 * ```
 */
export function continueAsArm(from: string, network: Network, optimizer: Optimizer): ArmStart {
  loadNetwork(from, network);
  const branch = loadTrainingState(from, optimizer).extra as { state: PhaseState };
  const { epoch, step, initialLoss, noiseScale } = branch.state;
  return {
    firstEpoch: epoch,
    start: {
      epoch,
      step,
      ...(initialLoss !== undefined ? { initialLoss } : {}),
      ...(noiseScale !== undefined ? { noiseScale } : {}),
      ...FRESH_RULE,
    },
  };
}
