/**
 * From a --data argument to the two datasets the study uses, held natively:
 * the training set and the test set (the total set is both). Optional per-channel
 * standardisation uses the training set's statistics for both.
 */
import { Dataset } from '../engine/dataset';
import { locateData, type LocateOptions } from './locate';
import type { DataSource } from './source';

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
