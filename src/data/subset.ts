/**
 * A study on part of its data: the first `train` examples of the training set and the first
 * `test` of the test set (for token data: the first windows of each split, in corpus order), so
 * a demo on a large corpus finishes in minutes. Everything downstream (the sampler, Experiment
 * B's g_train and g_test, the lines, sharpness) sees only these examples.
 */
import { expected, isPositiveInteger } from '../core/errors';
import { isTokenSet, type DataSource, type ExampleSet, type TokenSet } from './source';

/** How many examples of each set to keep (each absent: all). */
export interface DataSubset {
  /** The first examples of the training set (token data: training windows). */
  train?: number;
  /** The first examples of the test set (token data: validation windows). */
  test?: number;
}

export const SUBSET_FIELDS = ['train', 'test'];

/** Checks a subset's form (each count a positive integer, if given), naming `field`. */
export function checkSubset(subset: unknown, field: string): DataSubset {
  if (typeof subset !== 'object' || subset === null || Array.isArray(subset))
    throw expected('a mapping { train: N, test: N }', field, subset);
  const s = subset as Record<string, unknown>;
  for (const key of Object.keys(s))
    if (!SUBSET_FIELDS.includes(key))
      throw expected(`only ${SUBSET_FIELDS.join(' and ')}`, field, subset);
  for (const key of SUBSET_FIELDS)
    if (s[key] !== undefined && !isPositiveInteger(s[key]))
      throw expected('a positive integer (examples)', `${field}.${key}`, s[key]);
  return s as DataSubset;
}

/** The source with only the first examples of each set; refuses a count above what is there. */
export function takeSubset(source: DataSource, subset: DataSubset, data: string): DataSource {
  return {
    ...source,
    train: firstOf(source.train, subset.train, `subset.train`, `the training set of ${data}`),
    test: firstOf(source.test, subset.test, `subset.test`, `the test set of ${data}`),
  };
}

function firstOf(
  set: ExampleSet | TokenSet,
  count: number | undefined,
  field: string,
  what: string,
): ExampleSet | TokenSet {
  if (count === undefined) return set;
  const unit = isTokenSet(set) ? 'windows' : 'examples';
  if (!isPositiveInteger(count) || count > set.count)
    throw expected(`at most ${set.count} (the ${unit} in ${what})`, field, count);
  if (isTokenSet(set))
    return { ...set, windows: set.windows.subarray(0, count * (set.context + 1)), count };
  const size = set.shape[0] * set.shape[1] * set.shape[2];
  return {
    ...set,
    pixels: set.pixels.subarray(0, count * size),
    labels: set.labels.subarray(0, count),
    count,
  };
}
