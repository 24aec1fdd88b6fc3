/**
 * F1 (Keskar et al. 2017), for MNIST: 784 -> 5 x [Linear 512 -> BatchNorm -> ReLU]
 * -> Linear 10. Layers followed by batch norm carry no bias.
 */
import type { LayerSpec, NetworkSpec } from '../engine/layers';

export function f1(): NetworkSpec {
  const layers: LayerSpec[] = [{ type: 'flatten' }];
  for (let i = 0; i < 5; i++)
    layers.push(
      { type: 'linear', out: 512, bias: false },
      { type: 'batchnorm1d' },
      { type: 'relu' },
    );
  layers.push({ type: 'linear', out: 10 });
  return { name: 'F1', input: [1, 28, 28], classes: 10, layers };
}
