/**
 * The networks of the study by name, and user networks from a JSON layer list
 * (the format of src/engine/layers.ts: {name, input, classes, layers}).
 */
import * as fs from 'fs';
import { GradscopeFileError, GradscopeInputError } from '../engine/errors';
import { resolveNetwork, type NetworkSpec } from '../engine/layers';
import { c1, c3 } from './c1';
import { c2, c4 } from './c2';
import { f1 } from './f1';

export const NETWORKS: Record<string, () => NetworkSpec> = {
  F1: f1,
  C1: c1,
  C2: c2,
  C3: c3,
  C4: c4,
};

/** A built-in name (F1, C1, C2, C3, C4; any case) or the path of a JSON layer list. */
export function networkSpec(nameOrFile: string): NetworkSpec {
  const builtIn = NETWORKS[nameOrFile.toUpperCase()];
  if (builtIn) return builtIn();
  if (!nameOrFile.endsWith('.json'))
    throw new GradscopeInputError(
      `Expected one of ${Object.keys(NETWORKS).join(', ')} or a .json layer list for --network but received "${nameOrFile}"`,
    );
  let spec: NetworkSpec;
  try {
    spec = JSON.parse(fs.readFileSync(nameOrFile, 'utf8')) as NetworkSpec;
  } catch (error) {
    throw new GradscopeFileError(
      nameOrFile,
      error instanceof Error ? error.message : String(error),
    );
  }
  resolveNetwork(spec);
  return spec;
}
