/**
 * C2 (CIFAR-10) and C4 (CIFAR-100): Keskar's deeper VGG-like network, after the
 * VGG-with-BN-and-dropout design his network zoo follows (Zagoruyko's cifar.torch):
 * 13 conv layers 3x3 same, each -> BN -> ReLU, in groups 64-64 | 128-128 |
 * 256-256-256 | 512-512-512 | 512-512-512 with a 2x2 max pool after each group;
 * dropout 0.3 after the first conv, 0.4 after every other conv but the last of a
 * group; then Dropout 0.5 -> Linear 512 -> BN -> ReLU -> Dropout 0.5 -> Linear classes.
 */
import type { LayerSpec, NetworkSpec } from '../engine/layers';

const GROUPS = [
  [64, 64],
  [128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [512, 512, 512],
];

function deepConvolutional(name: string, classes: number): NetworkSpec {
  const layers: LayerSpec[] = [];
  GROUPS.forEach((group, g) => {
    group.forEach((out, j) => {
      layers.push(
        { type: 'conv2d', out, kernel: 3, padding: 'same', bias: false },
        { type: 'batchnorm2d' },
        { type: 'relu' },
      );
      if (j < group.length - 1) layers.push({ type: 'dropout', p: g === 0 ? 0.3 : 0.4 });
    });
    layers.push({ type: 'maxpool2d', kernel: 2, stride: 2 });
  });
  layers.push(
    { type: 'flatten' },
    { type: 'dropout', p: 0.5 },
    { type: 'linear', out: 512, bias: false },
    { type: 'batchnorm1d' },
    { type: 'relu' },
    { type: 'dropout', p: 0.5 },
    { type: 'linear', out: classes },
  );
  return { name, input: [3, 32, 32], classes, layers };
}

export const c2 = (): NetworkSpec => deepConvolutional('C2', 10);
export const c4 = (): NetworkSpec => deepConvolutional('C4', 100);
