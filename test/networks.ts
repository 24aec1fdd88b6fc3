/**
 * The small networks the tests train and analyse, on MNIST-shaped input (1 x 28 x 28, ten
 * classes): softmax regression, or one hidden layer with optional batch norm and dropout.
 */
import type { LayerSpec, NetworkSpec } from '../src/engine/layers';

/** The hidden layer: its width, whether its linear layer has a bias, batch norm, dropout. */
export interface HiddenLayer {
  out: number;
  bias?: false;
  batchNorm?: true;
  dropout?: number;
}

/**
 * flatten, [linear(out) (+ batch norm) + ReLU (+ dropout)], linear(10): without `hidden`,
 * softmax regression (7 850 parameters).
 */
export function mnistNetwork(name: string, hidden?: HiddenLayer): NetworkSpec {
  const layers: LayerSpec[] = [{ type: 'flatten' }];
  if (hidden) {
    layers.push(
      hidden.bias === false
        ? { type: 'linear', out: hidden.out, bias: false }
        : { type: 'linear', out: hidden.out },
    );
    if (hidden.batchNorm) layers.push({ type: 'batchnorm1d' });
    layers.push({ type: 'relu' });
    if (hidden.dropout !== undefined) layers.push({ type: 'dropout', p: hidden.dropout });
  }
  layers.push({ type: 'linear', out: 10 });
  return { name, input: [1, 28, 28], classes: 10, layers };
}
