/**
 * One form for every rejected input, as sharp does:
 * `Expected <what> for <option> but received <value>`.
 * Thrown before anything native runs, so bad input never reaches C++.
 *
 * @example
 * ```ts
 * import { GradscopeInputError, networkSpec } from 'gradscope';
 * try {
 *   networkSpec('F7');
 * } catch (error) {
 *   if (!(error instanceof GradscopeInputError)) throw error;
 *   console.error(error.message); // Expected one of F1, C1, ... for --network but received "F7"
 * }
 * ```
 */
export class GradscopeInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradscopeInputError';
  }
}

/** Renders a received value briefly: strings quoted, arrays and objects cut short. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || value === null || typeof value !== 'object') return String(value);
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length ?? value.byteLength;
    return `${value.constructor.name} of length ${length}`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // nested past the stack (a hostile config), or circular
    return Array.isArray(value) ? 'a deeply nested list' : 'a deeply nested mapping';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function expected(what: string, option: string, value: unknown): GradscopeInputError {
  return new GradscopeInputError(
    `Expected ${what} for ${option} but received ${describeValue(value)}`,
  );
}

/**
 * A file-level problem: names the file and what is wrong with it, in one line.
 *
 * @example
 * ```ts
 * import { checkpointInfo, GradscopeFileError } from 'gradscope';
 * try {
 *   checkpointInfo('runs/missing/branch.safetensors');
 * } catch (error) {
 *   if (!(error instanceof GradscopeFileError)) throw error;
 *   console.error(error.message); // runs/missing/branch.safetensors: no such checkpoint
 *   console.error(error.file); // the file alone
 * }
 * ```
 */
export class GradscopeFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'GradscopeFileError';
  }
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
