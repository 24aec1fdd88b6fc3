/**
 * The one shape every dataset reader produces, and the checks every reader shares.
 * Pixels stay raw bytes in record order, channel-planar (N x C x H x W), so the engine
 * normalises them once, natively; labels are class indices in [0, classes).
 */
import { GradscopeFileError } from '../core/errors';

export type DataName =
  'mnist' | 'fashion-mnist' | 'idx' | 'cifar10' | 'cifar100' | 'arrays' | 'imagefolder';

export interface ExampleSet {
  /** count * C * H * W, record order, channel-planar: bytes (scaled by 1/255 when held) or
   * float32 values (a user's own arrays, taken as they are). */
  pixels: Uint8Array | Float32Array;
  labels: Int32Array;
  count: number;
  /** [C, H, W] */
  shape: [number, number, number];
}

export interface DataSource {
  /** 'idx' is an MNIST-format folder whose names cannot tell MNIST from Fashion-MNIST. */
  name: DataName;
  classes: number;
  train: ExampleSet;
  test: ExampleSet;
  /** Every file read, in the order read. */
  files: string[];
}

/** Images and labels come from separate files (IDX); their counts must agree. */
export function checkCounts(
  imagesFile: string,
  imageCount: number,
  labelsFile: string,
  labelCount: number,
): void {
  if (imageCount !== labelCount) {
    throw new GradscopeFileError(
      imagesFile,
      `holds ${imageCount} images but ${labelsFile} holds ${labelCount} labels`,
    );
  }
}

/** Every label must be a class index below `classes`; names the first bad one. */
export function checkLabels(labels: ArrayLike<number>, classes: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0 || label >= classes) {
      throw new GradscopeFileError(
        file,
        `label ${label} at index ${i} is out of range (expected 0..${classes - 1})`,
      );
    }
  }
}

/** Train and test must describe the same kind of image. */
export function checkSameShape(train: ExampleSet, test: ExampleSet, testFile: string): void {
  if (train.shape.join() !== test.shape.join()) {
    throw new GradscopeFileError(
      testFile,
      `holds images of shape ${test.shape.join('x')} but the training images are ${train.shape.join('x')}`,
    );
  }
}
