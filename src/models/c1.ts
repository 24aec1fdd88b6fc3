/**
 * C1 (Keskar et al. 2017), for CIFAR-10; C3 is the same network with 100 outputs
 * for CIFAR-100's fine labels:
 * 2 x [Conv 64 5x5 same -> BN -> ReLU -> MaxPool 3x3/2 pad 1] -> Flatten
 * -> Linear 384 -> BN -> ReLU -> Dropout 0.5 -> Linear 192 -> BN -> ReLU -> Dropout 0.5
 * -> Linear classes.
 */
import type { LayerSpec, NetworkSpec } from '../engine/layers';

function shallowConvolutional(name: string, classes: number): NetworkSpec {
  const layers: LayerSpec[] = [];
  for (let i = 0; i < 2; i++)
    layers.push(
      { type: 'conv2d', out: 64, kernel: 5, padding: 'same', bias: false },
      { type: 'batchnorm2d' },
      { type: 'relu' },
      { type: 'maxpool2d', kernel: 3, stride: 2, padding: 1 },
    );
  layers.push(
    { type: 'flatten' },
    { type: 'linear', out: 384, bias: false },
    { type: 'batchnorm1d' },
    { type: 'relu' },
    { type: 'dropout', p: 0.5 },
    { type: 'linear', out: 192, bias: false },
    { type: 'batchnorm1d' },
    { type: 'relu' },
    { type: 'dropout', p: 0.5 },
    { type: 'linear', out: classes },
  );
  return { name, input: [3, 32, 32], classes, layers };
}

export const c1 = (): NetworkSpec => shallowConvolutional('C1', 10);
export const c3 = (): NetworkSpec => shallowConvolutional('C3', 100);
