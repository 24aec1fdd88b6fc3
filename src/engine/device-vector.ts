/**
 * Float64 vectors of a network's length that live on the network's device, and the sums of
 * one Experiment B draw computed there (native/vector-ops.cc): a gradient never comes back to
 * the host, a draw returns a few float64 scalars. Every sum is accumulated in float64 from the
 * gradient's own values (float32 gradients are widened exactly first).
 */
import { GradscopeInputError } from '../core/errors';
import { addon, type NativeDeviceVector, type NativeGroup } from './native';
import type { Network } from './network';

/** The sums of one draw x against a reference r and a total t (docs/mathematics.md). */
export interface DrawMeasures {
  /** |x - r|^2, |x - t|^2, |x|^2, x . t */
  toTrainSquared: number;
  toTotalSquared: number;
  normSquared: number;
  dotTotal: number;
  /** |x_k - r_k|^2 for each group k asked for (none: empty). */
  groupSquares: number[];
}

export class DeviceVector {
  readonly length: number;
  /** The network whose device holds the vector. */
  readonly network: Network;
  /** @internal */
  readonly native: NativeDeviceVector;

  /** Zeros, one per parameter of `network`, on its device. */
  constructor(network: Network) {
    this.network = network;
    this.length = network.parameterCount;
    this.native = new (addon().DeviceVector)(network.native);
  }

  /** this <- scale g, g the gradient of the network's last `gradient` call. */
  setGradient(network: Network, scale = 1): this {
    this.native.setGradient(this.same(network).native, scale);
    return this;
  }

  /** this <- this + scale g. */
  addGradient(network: Network, scale: number): this {
    this.native.addGradient(this.same(network).native, scale);
    return this;
  }

  /** this <- alpha a + beta b. */
  setCombination(a: DeviceVector, alpha: number, b: DeviceVector, beta: number): this {
    this.same(a.network);
    this.same(b.network);
    this.native.setCombination(a.native, alpha, b.native, beta);
    return this;
  }

  /** A host copy (once per analysis, never per draw). */
  read(): Float64Array {
    const out = new Float64Array(this.length);
    this.native.read(out);
    return out;
  }

  private same(network: Network): Network {
    if (network.parameterCount !== this.length || network.device !== this.network.device)
      throw new GradscopeInputError(
        `a vector of ${this.length} parameters on ${this.network.device} cannot be combined with network ${network.name} (${network.parameterCount} parameters on ${network.device})`,
      );
    return network;
  }
}

/** The measures of the network's gradient g against r and t, per group too when given. */
export function measureGradient(
  network: Network,
  reference: DeviceVector,
  total: DeviceVector,
  groups?: NativeGroup[],
): DrawMeasures {
  checkVectors(network, [reference, total]);
  return measuresOf(
    addon().measureGradient(network.native, reference.native, total.native, groups),
  );
}

/** The measures of x = vector / divisor against r and t. */
export function measureVector(
  vector: DeviceVector,
  divisor: number,
  reference: DeviceVector,
  total: DeviceVector,
  groups?: NativeGroup[],
): DrawMeasures {
  if (!(divisor > 0)) throw new GradscopeInputError(`divisor ${divisor} is not positive`);
  checkVectors(vector.network, [vector, reference, total]);
  return measuresOf(
    addon().measureVector(vector.native, divisor, reference.native, total.native, groups),
  );
}

function checkVectors(network: Network, vectors: DeviceVector[]): void {
  for (const v of vectors)
    if (v.length !== network.parameterCount || v.network.device !== network.device)
      throw new GradscopeInputError(
        `a vector of ${v.length} parameters cannot be measured against network ${network.name} (${network.parameterCount} parameters on ${network.device})`,
      );
}

function measuresOf(sums: Float64Array): DrawMeasures {
  return {
    toTrainSquared: sums[0]!,
    toTotalSquared: sums[1]!,
    normSquared: sums[2]!,
    dotTotal: sums[3]!,
    groupSquares: Array.from(sums.subarray(4)),
  };
}
