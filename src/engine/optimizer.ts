/**
 * Adam and SGD with momentum: libtorch's own implementations, stepping the whole
 * flat parameter vector at once (the update is elementwise, so this is exactly
 * PyTorch's per-parameter update).
 *
 * Adam (Kingma and Ba), with g the gradient (+ weight_decay * w):
 *   m <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2;   t <- t + 1
 *   w <- w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * SGD: b <- mu b + (1 - dampening) g (b = g on the first step);
 *   w <- w - lr (g + mu b if nesterov else b).
 */
import { expected } from '../core/errors';
import { addon, type FloatArray, type NativeOptimizer } from './native';
import type { Network } from './network';

export interface AdamSettings {
  kind: 'adam';
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface SgdSettings {
  kind: 'sgd';
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * Adam (`kind: 'adam'`, PyTorch's defaults for what is left out) or SGD with momentum
 * (`kind: 'sgd'`); the learning rate `lr` is required.
 *
 * @example
 * ```ts
 * import type { OptimizerSettings } from 'gradscope';
 * const adam: OptimizerSettings = { kind: 'adam', lr: 1e-3 };
 * const sgd: OptimizerSettings = { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 5e-4 };
 * console.log(adam, sgd);
 * ```
 */
export type OptimizerSettings = AdamSettings | SgdSettings;

export interface OptimizerState {
  step: number;
  tensors: Record<string, FloatArray>;
}

/** The names the checks give each setting by default (the engine's own words). */
const ENGINE_NAMES: Record<string, string> = { kind: 'optimizer', weightDecay: 'weight decay' };

/**
 * Checks every setting before anything runs. `name` turns a field (lr, beta1, ...)
 * into the name the user wrote it as: "optimizer.lr" in a config, "--lr" on the
 * command line.
 */
export function checkOptimizerSettings(
  s: OptimizerSettings,
  name: (field: string) => string = (f) => ENGINE_NAMES[f] ?? f,
): void {
  const unit = (v: unknown, field: string): void => {
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v < 1))
      throw expected('a number in [0, 1)', name(field), v);
  };
  if (typeof s !== 'object' || s === null) throw expected('a mapping', name('kind'), s);
  if (s.kind !== 'adam' && s.kind !== 'sgd')
    throw expected('"adam" or "sgd"', name('kind'), (s as { kind: unknown }).kind);
  if (typeof s.lr !== 'number' || !(s.lr > 0) || !Number.isFinite(s.lr))
    throw expected('a positive number', name('lr'), s.lr);
  const decay: unknown = s.weightDecay;
  if (decay !== undefined && !(typeof decay === 'number' && decay >= 0 && Number.isFinite(decay)))
    throw expected('a non-negative number', name('weightDecay'), decay);
  if (s.kind === 'adam') {
    unit(s.beta1, 'beta1');
    unit(s.beta2, 'beta2');
    const eps: unknown = s.eps;
    if (eps !== undefined && !(typeof eps === 'number' && eps > 0 && Number.isFinite(eps)))
      throw expected('a positive number', name('eps'), eps);
  } else {
    unit(s.momentum, 'momentum');
    unit(s.dampening, 'dampening');
    const nesterov: unknown = s.nesterov;
    if (nesterov !== undefined && typeof nesterov !== 'boolean')
      throw expected('true or false', name('nesterov'), nesterov);
    if (s.nesterov && !(s.momentum && s.momentum > 0 && !s.dampening))
      throw expected('momentum > 0 and dampening 0 with nesterov', name('momentum'), s.momentum);
  }
}

/**
 * libtorch's Adam or SGD stepping a network's flat parameter vector with the gradient the
 * network's last `gradient` call left.
 *
 * @example
 * ```ts
 * import { loadData, Network, networkSpec, Optimizer } from 'gradscope';
 * const data = loadData('mnist');
 * const network = new Network(networkSpec('F1'), { seed: 0 });
 * const optimizer = new Optimizer(network, { kind: 'adam', lr: 1e-3 });
 * const batch = data.train.all().subarray(0, 256);
 * network.gradient(data.train, batch, { mode: 'train' });
 * optimizer.step(); // w <- Adam(w, g_B)
 * ```
 */
export class Optimizer {
  private readonly native: NativeOptimizer;

  constructor(
    readonly network: Network,
    readonly settings: OptimizerSettings,
  ) {
    checkOptimizerSettings(settings);
    this.native = new (addon().Optimizer)(network.native, { ...settings });
  }

  /** w <- update(w, gradients): uses the gradient left by network.gradient(...). */
  step(): void {
    this.native.step();
  }

  get learningRate(): number {
    return this.native.learningRate;
  }

  set learningRate(lr: number) {
    if (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr))
      throw expected('a positive number', 'learning rate', lr);
    this.native.learningRate = lr;
  }

  /** Step count and named state vectors (copies): exp_avg, exp_avg_sq or momentum_buffer. */
  state(): OptimizerState {
    return this.native.state();
  }

  setState(state: OptimizerState): void {
    const type = this.network.dtype === 'float32' ? Float32Array : Float64Array;
    const names = this.settings.kind === 'adam' ? ['exp_avg', 'exp_avg_sq'] : ['momentum_buffer'];
    const present = Object.keys(state.tensors);
    if (present.length > 0 || this.settings.kind === 'adam') {
      if (!(present.length === 0 && state.step === 0)) {
        for (const name of names) {
          const t = state.tensors[name];
          if (!(t instanceof type) || t.length !== this.network.parameterCount)
            throw expected(
              `a ${type.name} of length ${this.network.parameterCount}`,
              `optimizer state ${name}`,
              t,
            );
        }
      }
    }
    for (const name of present)
      if (!names.includes(name)) throw expected(names.join(' and '), 'optimizer state names', name);
    if (!Number.isSafeInteger(state.step) || state.step < 0)
      throw expected('a non-negative integer', 'optimizer step', state.step);
    this.native.setState(state.step, state.tensors);
  }
}
