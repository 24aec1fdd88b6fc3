/**
 * The run directory's JSON records (an analysis point, a line, a sharpness measurement, a
 * trajectory): each written atomically as one line, its folder made if need be, and read
 * back as a folder of records in file-name order.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';

/** Writes `value` to `file` as one line of JSON, atomically, making its folder if need be. */
export function writeJsonRecord(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(value) + '\n');
}

/** The .json files of `dir` in file-name order, parsed (none when there is no `dir`). */
export function readJsonRecords<T>(dir: string): T[] {
  return jsonFiles(dir).map((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as T);
}

/** The .json files of `dir` in file-name order (none when there is no `dir`). */
export function jsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => path.join(dir, n));
}
