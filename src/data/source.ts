/**
 * The one shape every dataset reader produces, and the checks every reader shares.
 * Images: pixels stay raw bytes in record order, channel-planar (N x C x H x W), so the engine
 * normalises them once, natively; labels are class indices in [0, classes).
 * Tokens: an example is one fixed window of context + 1 token ids (inputs its first `context`,
 * next-token targets its last `context`); `classes` is then the vocabulary size V.
 */
import { GradscopeFileError } from '../core/errors';

export type DataName =
  | 'mnist'
  | 'fashion-mnist'
  | 'idx'
  | 'cifar10'
  | 'cifar100'
  | 'arrays'
  | 'imagefolder'
  /** the built-in corpus: the King James Bible of Debian's bible-kjv-text, as text */
  | 'kjv'
  /** a text file of the user's, tokenised by characters or bytes */
  | 'text'
  /** token ids the user tokenised (nanoGPT's train.bin / val.bin, or .npy) */
  | 'tokens';

export interface ExampleSet {
  /** count * C * H * W, record order, channel-planar: bytes (scaled by 1/255 when held) or
   * float32 values (a user's own arrays, taken as they are). */
  pixels: Uint8Array | Float32Array;
  labels: Int32Array;
  count: number;
  /** [C, H, W] */
  shape: [number, number, number];
}

/**
 * Token data cut into windows: `count` windows of `context` + 1 token ids each, row after row.
 * Window i's inputs are its first `context` ids, its targets its last `context` ids; windows
 * are cut at stride `context`, so consecutive windows share their boundary token (the last
 * target of one is the first input of the next) and every token after a split's first is a
 * target exactly once (a tail shorter than a window is left out).
 */
export interface TokenSet {
  windows: Int32Array;
  count: number;
  context: number;
}

/** How token ids were made: from characters, from bytes, or given as ids. */
export type Tokeniser = 'chars' | 'bytes' | 'ids';

export interface DataSource<Set extends ExampleSet | TokenSet = ExampleSet | TokenSet> {
  /** 'idx' is an MNIST-format folder whose names cannot tell MNIST from Fashion-MNIST. */
  name: DataName;
  /** The number of classes; for token data the vocabulary size V (ids lie in [0, V)). */
  classes: number;
  /** For token data, `test` is the validation split. */
  train: Set;
  test: Set;
  /** Every file read, in the order read. */
  files: string[];
  /** Token data only: how the ids were made. */
  tokeniser?: Tokeniser;
  /** Token data from characters: the character of each id, in id order (sorted by code
   * point, as nanoGPT's shakespeare_char prepare.py sorts them), so ids can be read back. */
  vocabulary?: string[];
}

/** A source of images (every reader but the token readers gives one). */
export type ImageSource = DataSource<ExampleSet>;

/** True for token windows, false for images. */
export function isTokenSet(set: ExampleSet | TokenSet): set is TokenSet {
  return 'windows' in set;
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
