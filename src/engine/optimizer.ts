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
import { expected } from './errors';
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

export type OptimizerSettings = AdamSettings | SgdSettings;

export interface OptimizerState {
  step: number;
  tensors: Record<string, FloatArray>;
}

function checkSettings(s: OptimizerSettings): void {
  const unit = (v: number | undefined, option: string): void => {
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v < 1))
      throw expected('a number in [0, 1)', option, v);
  };
  if (s.kind !== 'adam' && s.kind !== 'sgd')
    throw expected('"adam" or "sgd"', 'optimizer', (s as { kind: unknown }).kind);
  if (typeof s.lr !== 'number' || !(s.lr > 0) || !Number.isFinite(s.lr))
    throw expected('a positive number', 'lr', s.lr);
  if (s.weightDecay !== undefined && !(s.weightDecay >= 0))
    throw expected('a non-negative number', 'weight decay', s.weightDecay);
  if (s.kind === 'adam') {
    unit(s.beta1, 'beta1');
    unit(s.beta2, 'beta2');
    if (s.eps !== undefined && !(s.eps > 0)) throw expected('a positive number', 'eps', s.eps);
  } else {
    unit(s.momentum, 'momentum');
    unit(s.dampening, 'dampening');
    if (s.nesterov && !(s.momentum && s.momentum > 0 && !s.dampening))
      throw expected('momentum > 0 and dampening 0 with nesterov', 'momentum', s.momentum);
  }
}

export class Optimizer {
  private readonly native: NativeOptimizer;

  constructor(
    readonly network: Network,
    readonly settings: OptimizerSettings,
  ) {
    checkSettings(settings);
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
