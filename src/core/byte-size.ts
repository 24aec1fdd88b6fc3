/**
 * Memory sizes as a user writes them ("2G", "512M", "1.5G", "0", or a count of bytes) and as
 * a log line prints them. The suffixes are binary (K = 1024 bytes); a trailing "B" or "iB" is
 * allowed ("2GiB", "2GB" are both 2^31 bytes).
 */
import { expected } from './errors';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** A non-negative number of bytes from a number or a string such as "2G". */
export function parseByteSize(value: unknown, option: string): number {
  const what = 'a size in bytes such as 2G, 512M or 0';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw expected(what, option, value);
    return value;
  }
  const match =
    typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value) : null;
  if (!match) throw expected(what, option, value);
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toUpperCase()]!);
  if (!Number.isSafeInteger(bytes)) throw expected(what, option, value);
  return bytes;
}

/** "2.03 GiB", "512.0 MiB", "840 bytes". */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (bytes >= size) return `${(bytes / size).toFixed(2)} ${unit}`;
  return `${bytes} bytes`;
}
