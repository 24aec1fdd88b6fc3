/**
 * Input checks shared by the charts, in the project's one error form ("Expected <what>
 * for <option> but received <value>"), so a bad figure spec fails by name before any
 * SVG is built instead of producing a silently wrong picture.
 */
import { expected } from '../core/errors';

export function checkText(value: unknown, option: string): asserts value is string {
  if (typeof value !== 'string') throw expected('a string', option, value);
}

export function checkList(value: unknown, option: string): asserts value is unknown[] {
  if (!Array.isArray(value) || value.length === 0)
    throw expected('a non-empty array', option, value);
}

export function checkFinite(value: unknown, option: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw expected('a finite number', option, value);
}

/** A figure's width and height, when given: at least 200 px, so the layout fits. */
export function checkSize(width: unknown, height: unknown): void {
  for (const [value, option] of [
    [width, 'width'],
    [height, 'height'],
  ] as const)
    if (
      value !== undefined &&
      (typeof value !== 'number' || !(value >= 200) || !Number.isFinite(value))
    )
      throw expected('a number of pixels >= 200', option, value);
}
