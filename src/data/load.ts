/**
 * From a --data argument to the two datasets the study uses, held natively:
 * the training set and the test set (the total set is both). Optional per-channel
 * standardisation uses the training set's statistics for both.
 */
import { Dataset } from '../engine/dataset';
import { locateData, type LocateOptions } from './locate';
import type { DataSource } from './source';

/**
 * The two data sets of a study, held natively: the training set and the test set (the total
 * set is both), with what was found where.
 *
 * @example
 * ```ts
 * import { loadData, type StudyData } from 'gradscope';
 * const data: StudyData = loadData('fashion-mnist');
 * console.log(data.description, data.train.size, data.test.size, data.classes);
 * ```
 */
export interface StudyData {
  name: DataSource['name'];
  classes: number;
  train: Dataset;
  test: Dataset;
  /** One line saying what was found where. */
  description: string;
  files: string[];
  standardisation?: { mean: number[]; std: number[] };
}

export interface LoadOptions extends LocateOptions {
  standardise?: boolean;
}

/**
 * The training and test sets a `--data` argument names: `mnist` (built in), `fashion-mnist`, or
 * a folder of IDX, CIFAR-10/100 binary, NumPy or ImageFolder files; `standardise` scales every
 * channel by the training set's mean and standard deviation.
 *
 * @example
 * ```ts
 * import { loadData } from 'gradscope';
 * const mnist = loadData('mnist');
 * const cifar = loadData('/data/cifar-10-batches-bin', { standardise: true });
 * console.log(mnist.train.size, cifar.train.shape); // 60000 [3, 32, 32]
 * ```
 */
export function loadData(data: string, options: LoadOptions = {}): StudyData {
  const { source, description } = locateData(data, options);
  const train = new Dataset(`${source.name} train`, source.classes, source.train);
  const test = new Dataset(`${source.name} test`, source.classes, source.test);
  const result: StudyData = {
    name: source.name,
    classes: source.classes,
    train,
    test,
    description,
    files: source.files,
  };
  if (options.standardise) {
    const stats = train.channelStatistics();
    train.standardise(stats);
    test.standardise(stats);
    result.standardisation = stats;
  }
  return result;
}
