/**
 * Residual networks for CIFAR-10 (layer lists with residual blocks; src/engine/layers.ts).
 *
 * ResNet-(6n+2), He et al. 2016, section 4.2: Conv 16 3x3 -> BN -> ReLU, then three stages
 * of n basic blocks with 16, 32, 64 channels (the first block of stages 2 and 3 halves the
 * size with stride 2), global average pooling, Linear classes. A basic block is
 * relu(BN(conv(relu(BN(conv(x))))) + shortcut(x)), the shortcut the identity or, where the
 * shape changes, a 1x1 conv with stride 2 and BN (option B). ResNet20: n = 3; ResNet56: n = 9.
 * ResNet56-noshort: the same blocks without any shortcut (Li et al. 2018, "Visualizing the
 * loss landscape of neural nets").
 *
 * WRN-16-4 (Zagoruyko and Komodakis 2016): Conv 16 3x3, three stages of (16 - 4) / 6 = 2
 * pre-activation blocks BN -> ReLU -> Conv -> BN -> ReLU -> Conv with 64, 128, 256 channels,
 * then BN -> ReLU -> global average pooling -> Linear. Where the shape changes the shortcut is
 * a 1x1 conv (no BN) of the block's input (the original takes it of the pre-activated input,
 * which a block of two separate paths cannot share); no dropout.
 */
import type { LayerSpec, NetworkSpec } from '../engine/layers';

const conv3 = (out: number, stride = 1): LayerSpec => ({
  type: 'conv2d',
  out,
  kernel: 3,
  stride,
  padding: 1,
  bias: false,
});

function basicBlock(out: number, stride: number, projection: boolean, skip: boolean): LayerSpec {
  const shortcut: LayerSpec[] | 'none' = !skip
    ? 'none'
    : projection
      ? [{ type: 'conv2d', out, kernel: 1, stride, bias: false }, { type: 'batchnorm2d' }]
      : [];
  return {
    type: 'residual',
    branch: [
      conv3(out, stride),
      { type: 'batchnorm2d' },
      { type: 'relu' },
      conv3(out),
      { type: 'batchnorm2d' },
    ],
    shortcut,
    activation: 'relu',
  };
}

/** He et al.'s CIFAR ResNet with n blocks per stage (depth 6n + 2). */
export function cifarResNet(name: string, n: number, skip = true, classes = 10): NetworkSpec {
  const layers: LayerSpec[] = [conv3(16), { type: 'batchnorm2d' }, { type: 'relu' }];
  let channels = 16;
  for (const [stage, width] of [16, 32, 64].entries())
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      layers.push(basicBlock(width, stride, width !== channels || stride !== 1, skip));
      channels = width;
    }
  layers.push({ type: 'globalavgpool' }, { type: 'linear', out: classes });
  return { name, input: [3, 32, 32], classes, layers };
}

/** Zagoruyko and Komodakis's wide ResNet WRN-depth-k (pre-activation blocks). */
export function wideResNet(name: string, depth: number, k: number, classes = 10): NetworkSpec {
  const n = (depth - 4) / 6;
  const layers: LayerSpec[] = [conv3(16)];
  let channels = 16;
  for (const [stage, width] of [16 * k, 32 * k, 64 * k].entries())
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const projection = width !== channels || stride !== 1;
      layers.push({
        type: 'residual',
        branch: [
          { type: 'batchnorm2d' },
          { type: 'relu' },
          conv3(width, stride),
          { type: 'batchnorm2d' },
          { type: 'relu' },
          conv3(width),
        ],
        shortcut: projection
          ? [{ type: 'conv2d', out: width, kernel: 1, stride, bias: false }]
          : [],
        activation: 'none',
      });
      channels = width;
    }
  layers.push(
    { type: 'batchnorm2d' },
    { type: 'relu' },
    { type: 'globalavgpool' },
    { type: 'linear', out: classes },
  );
  return { name, input: [3, 32, 32], classes, layers };
}

export const resnet20 = (): NetworkSpec => cifarResNet('ResNet20', 3);
export const resnet56 = (): NetworkSpec => cifarResNet('ResNet56', 9);
export const resnet56NoShort = (): NetworkSpec => cifarResNet('ResNet56-noshort', 9, false);
export const wrn16x4 = (): NetworkSpec => wideResNet('WRN16-4', 16, 4);
