/**
 * From a --data argument to the two datasets the study uses, held natively:
 * the training set and the test set (the total set is both; for token data the validation
 * split). Optional per-channel standardisation uses the training set's statistics for both.
 */
import { GradscopeInputError } from '../core/errors';
import { Dataset } from '../engine/dataset';
import { locateData, type LocateOptions } from './locate';
import { isTokenSet, type DataSource } from './source';
import { takeSubset, type DataSubset } from './subset';

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
  /** Token data only: how the ids were made ('chars', 'bytes' or 'ids'). */
  tokeniser?: DataSource['tokeniser'];
  /** Token data from characters: the character of each id, in id order. */
  vocabulary?: string[];
}

/**
 * `context` (token data: the tokens a window feeds the model, T; each example is T + 1 ids)
 * and `modelContext` (the model's own context: a longer `context` is refused) come from
 * LocateOptions, with `vocabularySize` and `dtype` for token-id files.
 */
export interface LoadOptions extends LocateOptions {
  standardise?: boolean;
  /** Only the first examples (token data: windows) of each set (src/data/subset.ts). */
  subset?: DataSubset;
}

/**
 * The training and test sets a `--data` argument names: `mnist` (built in), `fashion-mnist`, or
 * a folder of IDX, CIFAR-10/100 binary, NumPy or ImageFolder files; `standardise` scales every
 * channel by the training set's mean and standard deviation. Token data for language models
 * (`kjv`, the built-in King James Bible; `chars:FILE` or `bytes:FILE`, a text; `tokens:DIR`,
 * nanoGPT's train.bin and val.bin) is cut into windows of `context` + 1 token ids, and its
 * `classes` is the vocabulary size. `subset` keeps only the first examples of each set.
 *
 * @example
 * ```ts
 * import { loadData } from 'gradscope';
 * const mnist = loadData('mnist');
 * const cifar = loadData('/data/cifar-10-batches-bin', { standardise: true });
 * console.log(mnist.train.size, cifar.train.shape); // 60000 [3, 32, 32]
 * const bible = loadData('kjv', { context: 256 });
 * console.log(bible.classes, bible.vocabulary?.slice(0, 3)); // 63 ['\n', ' ', '!']
 * ```
 */
export function loadData(data: string, options: LoadOptions = {}): StudyData {
  const located = locateData(data, options);
  const source = options.subset ? takeSubset(located.source, options.subset, data) : located.source;
  const description = options.subset
    ? `${located.description}; the first ${source.train.count} training and ${source.test.count} test ${isTokenSet(source.train) ? 'windows' : 'examples'} (subset)`
    : located.description;
  if (options.standardise && isTokenSet(source.train))
    throw new GradscopeInputError(
      `standardise scales image channels; --data ${data} is token data: set it false`,
    );
  const train = new Dataset(`${source.name} train`, source.classes, source.train);
  const test = new Dataset(`${source.name} test`, source.classes, source.test);
  const result: StudyData = {
    name: source.name,
    classes: source.classes,
    train,
    test,
    description,
    files: source.files,
    ...(source.tokeniser && { tokeniser: source.tokeniser }),
    ...(source.vocabulary && { vocabulary: source.vocabulary }),
  };
  if (options.standardise) {
    const stats = train.channelStatistics();
    train.standardise(stats);
    test.standardise(stats);
    result.standardisation = stats;
  }
  return result;
}
