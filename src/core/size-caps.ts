/**
 * The caps on what an input file may unpack into memory, checked BEFORE any inflation or
 * decoding starts, against the sizes the file declares (a zip entry's size, an IDX header's
 * dimensions, an .npy shape, an image's width and height). A few MB of crafted input once took
 * gigabytes (issue 27: a 1 MB .pt whose pickle inflated to 2.3 GB, a 3 MB .npz to 6.4 GB,
 * four 420 kB PNGs of 12000 x 12000 pixels to 11.7 GB). Each cap can be changed by the
 * environment variable named beside it (the tests lower them to replay the bombs small);
 * README.md "Limits" states the defaults:
 *
 * - GRADSCOPE_MAX_INFLATE_BYTES, 1 GiB: the bytes one input file may unpack into: the sum
 *   of the zip entries a .pt or .npz reader inflates, one .npy array (as read and as
 *   converted), an IDX or CIFAR payload, gzipped or not. CIFAR-100's train.bin is 154 MB,
 *   its images as float32 .npz 614 MB.
 * - GRADSCOPE_MAX_PICKLE_BYTES, 64 MiB: a torch.save archive's data.pkl (a state_dict's
 *   pickle holds names and shapes only: about 100 bytes a tensor).
 * - GRADSCOPE_MAX_IMAGE_PIXELS, 50 000 000: one image of an ImageFolder (width x height, read
 *   from its header before it is decoded): a 50-megapixel camera's photo passes, ImageNet's
 *   photos (most below 1 megapixel) pass with room to spare.
 */
import { GradscopeFileError, GradscopeInputError } from './errors';

export interface SizeCap {
  /** The largest value allowed (bytes, or pixels for images). */
  most: number;
  /** The environment variable that sets it. */
  setting: string;
}

const DEFAULTS = {
  GRADSCOPE_MAX_INFLATE_BYTES: 2 ** 30,
  GRADSCOPE_MAX_PICKLE_BYTES: 64 * 2 ** 20,
  GRADSCOPE_MAX_IMAGE_PIXELS: 50_000_000,
} as const;

type Setting = keyof typeof DEFAULTS;

/** The cap `setting` holds now: its environment variable, else the default. */
function cap(setting: Setting): SizeCap {
  const text = process.env[setting];
  if (text === undefined || text === '') return { most: DEFAULTS[setting], setting };
  const most = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(most) || most < 1)
    throw new GradscopeInputError(
      `Expected a positive integer for the environment variable ${setting} but received ${JSON.stringify(text)}`,
    );
  return { most, setting };
}

export const inflateCap = (): SizeCap => cap('GRADSCOPE_MAX_INFLATE_BYTES');
export const pickleCap = (): SizeCap => cap('GRADSCOPE_MAX_PICKLE_BYTES');
export const imagePixelCap = (): SizeCap => cap('GRADSCOPE_MAX_IMAGE_PIXELS');

/** "1.5 GB" for a byte count, for the messages. */
export function inWords(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A file refused for what it would take: a reader passes it on as it is, unreworded. */
export class OverCapError extends GradscopeFileError {
  constructor(file: string, claim: string, limit: SizeCap) {
    super(
      file,
      `${claim}, more than the cap of ${limit.most} (${limit.setting}; raise it to read this file)`,
    );
    this.name = 'OverCapError';
  }
}

/** The one-line refusal: "FILE: CLAIM, more than the cap of M (SETTING; ...)". */
export function overCap(file: string, claim: string, limit: SizeCap): OverCapError {
  return new OverCapError(file, claim, limit);
}

/**
 * Throws one line naming `file` when `what` would take `bytes` (more than `limit` allows),
 * before anything is inflated: "FILE: WHAT would take N bytes (1.0 GB), more than the cap
 * of M (SETTING; ...)".
 */
export function checkUnpackedSize(
  file: string,
  what: string,
  bytes: number,
  limit: SizeCap = inflateCap(),
): void {
  if (bytes <= limit.most) return;
  throw overCap(file, `${what} would take ${bytes} bytes (${inWords(bytes)})`, limit);
}
