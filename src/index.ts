/**
 * gradscope as a library: `require('gradscope')` (or `import ... from 'gradscope'`).
 * The command line is built from exactly these pieces; the README's "Use it as a
 * library" shows them at work, and docs/mathematics.md defines every number.
 * Each export's JSDoc, with an example, is where it is declared; docs/api/ is generated from
 * them (`npm run docs:api`).
 *
 * @packageDocumentation
 */

// ---- the engine: networks, data, optimisers (libtorch underneath)

/** A network from a layer list; its parameters w are one flat vector (`parameters`). */
export { Network, DEFAULT_CHUNK, type PassOptions, type Measurement } from './engine/network';
/** libtorch's Adam or SGD stepping a network's flat parameter vector. */
export { Optimizer, type OptimizerSettings } from './engine/optimizer';
/** Each example's squared gradient norm in population mode (Linear and batch-norm networks). */
export { exampleNormsApply, exampleSquaredNorms, type ExampleNorms } from './engine/example-norms';
/** Sets torch's and OpenBLAS's thread counts for this process. */
export { setThreads } from './engine/threads';
export { useDevice, deviceInfo, setDeterministic } from './engine/device';
/** Every rejected input is one of these two, with a one-line message. */
export { GradscopeFileError, GradscopeInputError } from './core/errors';
/** The built-in networks (F1, C1, C2, C3, C4) by name, or a layer-list file. */
export { networkSpec, NETWORKS, torchScriptFile } from './models';
/** A small GPT (nanoGPT's architecture) of given sizes, as a layer list. */
export { gpt, gptSizes, DEFAULT_GPT, GPT_SIZES, type GptConfig } from './models/gpt';
export type { NetworkSpec } from './engine/layers';
/** Training and test sets in native memory: "mnist", "fashion-mnist" or a folder. */
export { loadData, type StudyData } from './data/load';

// ---- checkpoints (safetensors, PyTorch state_dict names)

/** Save, load and inspect checkpoints; `networkFromCheckpoint` builds the network too. */
export { loadNetwork, networkFromCheckpoint, saveNetwork } from './engine/checkpoint';
export { checkpointInfo, type CheckpointInfo } from './engine/checkpoint-file';
export { stateDict } from './engine/state-dict';
/** A checkpoint's network with its weights and the data it was trained on, checked to fit. */
export { checkpointState, type CheckpointState } from './experiments/checkpoint-state';

// ---- the experiments on a saved state
// (each long analysis returns a promise: it lets a SIGTERM or SIGINT be seen at every unit of
// its work, src/train/stop.ts)

/** Experiment B: mini-batch gradients around g_train and g_total, in units of d. */
export {
  analyzeGradients,
  DEFAULT_GRADIENT_ANALYSIS,
  type GradientAnalysis,
  type GradientAnalysisOptions,
} from './analysis/gradient-distribution';
/** Experiment A: the loss along the line between two solutions. */
export {
  alphaGrid,
  DEFAULT_LINE,
  lossAlongLine,
  solutionOf,
  type LineOptions,
  type LineResult,
  type Solution,
} from './analysis/loss-line';
/** 2-D loss surfaces: filter-normalised random directions, or the plane of three solutions. */
export { planeSurface, randomDirectionSurface, DEFAULT_SURFACE } from './analysis/loss-surface';
/** Keskar's sharpness, the Hessian's top eigenvalues and its trace. */
export {
  DEFAULT_SHARPNESS,
  measureSharpness,
  type SharpnessOptions,
  type SharpnessResult,
} from './analysis/sharpness';
/** The Hessian through Hessian-vector products: top eigenvalues, Hutchinson's trace. */
export { hessianOperator, hutchinsonTrace, topEigenvalues } from './analysis/hessian';
/** Paired 95% intervals over seeds, as the report's conclusions use them. */
export { pairedInterval, verdict } from './analysis/paired-interval';
/** Merrill et al.'s critical batch size: the definition, the learning-rate rules, and the
 * measurement by branching from a run's checkpoints of process 1. */
export { branchLearningRate, criticalBatchSize } from './analysis/critical-batch-size';
export { measureCriticalBatch } from './analysis/critical-batch';

// ---- training and the whole study

/** One training run (small-batch, piggybacked, increasing batch, Smoothout), resumable. */
export { runTraining } from './train/run';
/** How an arm (or a critical-batch branch) starts from a checkpoint of process 1. */
export { continueAsArm } from './train/arm-start';
export { defaultTrainConfig, type TrainConfig } from './train/config';
/** A study config (YAML/JSON) or the thesis'. */
export { readStudyConfig, thesisConfig, type StudyConfig } from './experiments/config';
/** The resumable study runner: training, Experiment A's lines, and the sharpness of every arm's final
 * state when the config has a `sharpness` section (no other argument needed). */
export { runStudy } from './experiments/runner';
/** Switch studies: variants of process 1 and its arms on the same seeds, compared with the
 * small-batch control and the fixed switch (configs/switch.yaml). */
export { readSwitchConfig, type SwitchStudyConfig } from './experiments/switch-config';
export { runSwitchStudy } from './experiments/switch-runner';
export { writeSwitchReport } from './report/switch-report';
/** A run directory's sharpness files (sharpness/seed-<s>-<phase>.json), typed. */
export { readStudySharpness, type StudySharpness } from './experiments/records';
/** Progress lines on stderr (quiet: none), for runTraining and runStudy. */
export { makeProgress } from './train/progress';
/** report.html, report.json, tables and figures of a run directory. */
export { writeStudyReport } from './report/study-report';
/** The words for loss and accuracy: per example for images, per token for language models. */
export { perplexity, quantityLabels, type QuantityLabels } from './report/quantity-labels';
