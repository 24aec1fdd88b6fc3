/**
 * The raw addon (native/addon.cc), typed. Nothing outside src/engine/ imports this:
 * the classes in this folder validate every argument before a native call.
 */
import * as path from 'path';

export type Mode = 'train' | 'batch' | 'population';
export type FloatArray = Float32Array | Float64Array;

/** Sums over examples; a language model's example contributes its mean next-token loss and
 * its fraction of next tokens predicted (native/network.h, Evaluation). */
export interface NativeEvaluation {
  lossSum: number;
  correct: number;
}

export interface NativeLayer {
  type: string;
  in?: number;
  out?: number;
  kernel?: number;
  stride?: number;
  padding?: number;
  bias?: boolean;
  eps?: number;
  momentum?: number;
  p?: number;
  /** An embedding's positions (the model's context). */
  context?: number;
  /** A transformer block's attention heads. */
  heads?: number;
}

export interface NativeDataset {
  /** Examples held: images or token windows. */
  readonly size: number;
  channelStatistics(): { mean: number[]; std: number[] };
  standardise(mean: number[], std: number[]): void;
}

export interface NativeNetwork {
  parameters(): FloatArray;
  gradients(): FloatArray;
  statistics(): FloatArray;
  batchCounts(): BigInt64Array;
  /** Where the flat buffers live: "cpu" or "cuda:N". */
  readonly device: string;
  /** out <- buffer[offset, offset + out.length), a copy from any device. */
  read(
    buffer: 'parameters' | 'gradients' | 'statistics' | 'batchCounts',
    out: FloatArray | BigInt64Array,
    offset: number,
  ): void;
  /** buffer[offset, offset + values.length) <- values, a copy to any device. */
  write(
    buffer: 'parameters' | 'gradients' | 'statistics' | 'batchCounts',
    values: FloatArray | BigInt64Array,
    offset: number,
  ): void;
  parameterTable(): { name: string; shape: number[]; offset: number }[];
  statisticsNames(): { name: string; features: number }[];
  /** A TorchScript module's buffers that are no batch norm's statistics, "name (ModuleType)". */
  otherState(): string[];
  gradient(data: NativeDataset, indices: Int32Array, mode: Mode, chunk: number): NativeEvaluation;
  evaluate(data: NativeDataset, indices: Int32Array, mode: Mode, chunk: number): NativeEvaluation;
  hessianVector(
    data: NativeDataset,
    indices: Int32Array,
    mode: Mode,
    chunk: number,
    v: FloatArray,
    out: FloatArray,
  ): NativeEvaluation;
  logits(data: NativeDataset, indices: Int32Array, mode: Mode, chunk: number): FloatArray;
  recalibrate(
    data: NativeDataset,
    indices: Int32Array,
    mode: Mode,
    chunk: number,
    keep: boolean,
  ): NativeEvaluation | null;
}

export interface NativeOptimizerSettings {
  kind: 'adam' | 'sgd';
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

export interface NativeOptimizer {
  step(): void;
  learningRate: number;
  state(): { step: number; tensors: Record<string, FloatArray> };
  setState(step: number, tensors: Record<string, FloatArray>): void;
}

/** A float64 vector of a network's length on its device (native/vector-ops.cc). */
export interface NativeDeviceVector {
  setGradient(network: NativeNetwork, scale: number): void;
  addGradient(network: NativeNetwork, scale: number): void;
  setCombination(a: NativeDeviceVector, alpha: number, b: NativeDeviceVector, beta: number): void;
  read(out: Float64Array): void;
}

/** Experiment B's per-example layer signals of one network (native/signals.h). */
export interface NativeLayerSignals {
  /** The loss sum and correct count of the pass that computed them. */
  evaluation(): NativeEvaluation;
  /** The network's gradient buffer <- the mean gradient of the examples at these rows. */
  gradient(rows: Int32Array): void;
  release(): void;
  readonly rows: number;
  readonly bytes: number;
}

/** A group of the per-layer view: its [offset, size] ranges. */
export type NativeGroup = [number, number][];

export interface NativeAddon {
  Dataset: {
    new (
      pixels: Uint8Array | Float32Array,
      labels: Int32Array,
      channels: number,
      height: number,
      width: number,
    ): NativeDataset;
    /** Token windows: N * (context + 1) ids, row after row. */
    new (windows: Int32Array, context: number): NativeDataset;
  };
  /** A layer list, or the file of a TorchScript module (its own weights; the seed only seeds torch's generator). */
  Network: new (
    layers: NativeLayer[] | string,
    dtype: 'float32' | 'float64',
    seed: number,
  ) => NativeNetwork;
  Optimizer: new (network: NativeNetwork, settings: NativeOptimizerSettings) => NativeOptimizer;
  setThreads(torchThreads: number, blasThreads: number): void;
  threads(): { torch: number; blas: number; blasConfig: string };
  /** true: freed memory stays in the process; false: glibc's defaults. */
  setMemory(keep: boolean): void;
  /** true: convolutions take channels-last input; false: contiguous NCHW. */
  setChannelsLast(channelsLast: boolean): void;
  /** true: float32 Linear layers on the CPU through oneDNN; false: the linked BLAS. */
  setOneDnnLinear(oneDnn: boolean): void;
  manualSeed(seed: number): void;
  rngState(): Uint8Array;
  setRngState(state: Uint8Array): void;
  /** Fills `out` with U(low, high) draws from torch's default generator. */
  uniform(out: FloatArray, low: number, high: number): void;
  torchVersion: string;
  /** The device of every Dataset and Network made after this ("cpu", "cuda:N"); returns it. */
  setDevice(device: string): string;
  deviceInfo(): NativeDeviceInfo;
  setDeterministic(on: boolean): void;
  /** Waits for every kernel queued on the engine's device (a GPU); nothing on the CPU. */
  synchronize(): void;
  DeviceVector: new (network: NativeNetwork) => NativeDeviceVector;
  /** One population-mode pass over indices that keeps each example's layer signals (row r:
   * indices[r]) and leaves their mean gradient in the network's gradient buffer. */
  LayerSignals: new (
    network: NativeNetwork,
    data: NativeDataset,
    indices: Int32Array,
    chunk: number,
  ) => NativeLayerSignals;
  /** Elements of one example's signals, and the fixed elements beside them. */
  signalSizes(
    network: NativeNetwork,
    data: NativeDataset,
  ): { perExample: number; fixed: number; activations: number };
  /** Whether exampleSquaredNorms covers the network's layers (Linear and batch norm only). */
  exampleNormsApply(network: NativeNetwork): boolean;
  /** Each example's squared gradient norm and that of their mean, population mode, `chunk`
   * examples a pass; nothing in the network changes. */
  exampleSquaredNorms(
    network: NativeNetwork,
    data: NativeDataset,
    indices: Int32Array,
    chunk: number,
  ): { examples: Float64Array; meanSquared: number };
  /** [|g - r|^2, |g - t|^2, |g|^2, g . t, then |g_k - r_k|^2 per group], g the gradient. */
  measureGradient(
    network: NativeNetwork,
    reference: NativeDeviceVector,
    total: NativeDeviceVector,
    groups?: NativeGroup[],
  ): Float64Array;
  /** The same measures of x = vector / divisor. */
  measureVector(
    vector: NativeDeviceVector,
    divisor: number,
    reference: NativeDeviceVector,
    total: NativeDeviceVector,
    groups?: NativeGroup[],
  ): Float64Array;
}

export interface NativeDeviceInfo {
  /** The device new datasets and networks are made on. */
  device: string;
  /** Whether the linked libtorch was built with CUDA. */
  cuda: boolean;
  /** The CUDA runtime's version as libtorch reports it (12040 = 12.4), null without CUDA. */
  cudaVersion: number | null;
  /** cuDNN's version (90100 = 9.1.0), null without it. */
  cudnnVersion: number | null;
  /** GPUs libtorch sees. */
  gpus: number;
}

let loaded: NativeAddon | undefined;

/** Loads build/Release/gradscope_native.node once, with a message that says how to build it. */
export function addon(): NativeAddon {
  if (loaded) return loaded;
  const file = path.join(__dirname, '..', '..', '..', 'build', 'Release', 'gradscope_native.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file) as NativeAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `gradscope: the native engine is not built or cannot load (${reason}). Run: bash scripts/setup.sh`,
    );
  }
  return loaded;
}
