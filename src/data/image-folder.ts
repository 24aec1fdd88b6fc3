/**
 * Your own images in the ImageFolder layout: DIR/train/CLASS/*.png|jpg|jpeg and
 * DIR/test/CLASS/*, classes numbered in the sorted order of train's folder names. The images
 * are decoded once with the npm package `sharp` (in a child process: sharp is asynchronous,
 * the readers are not) into DIR/.gradscope-images-SIZE.safetensors, a checksummed tensor
 * file that later runs read directly while the folder's listing (names, sizes, times) is
 * unchanged. `--image-size S` resizes every image to S x S; without it every image must
 * have the first one's size. Colour images give 3 channels, grey ones 1.
 *
 * Bounded: an image whose header declares more pixels than GRADSCOPE_MAX_IMAGE_PIXELS
 * (src/core/size-caps.ts) is refused before it is decoded (four PNGs of 12000 x 12000 pixels,
 * 420 kB each, once took 11.7 GB). The decoder exits when its parent is gone (a SIGKILLed
 * gradscope cannot take it along), and its pixels go to a temporary file named as every
 * temporary is (atomic-write.ts), which the next decoding of the folder removes if its
 * process is dead.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { temporaryPath } from '../core/atomic-write';
import { GradscopeFileError, GradscopeInputError } from '../core/errors';
import { readAt, withRegularFile } from '../core/regular-file';
import { imagePixelCap } from '../core/size-caps';
import { removeStaleTemporaries } from '../core/stale-temporaries';
import { readSafetensors, writeSafetensors } from '../engine/safetensors';
import { checkLabels, type ExampleSet, type ImageSource } from './source';

const IMAGE = /\.(png|jpe?g)$/i;

let defaultImageSize: number | undefined;

/** The command line's global --image-size: the size image folders are read at unless a
 * caller says otherwise. */
export function setDefaultImageSize(size: number | undefined): void {
  defaultImageSize = size;
}

export function isImageFolder(dir: string): boolean {
  const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  return isDir(path.join(dir, 'train')) && isDir(path.join(dir, 'test'));
}

interface Listing {
  classes: string[];
  train: { file: string; label: number }[];
  test: { file: string; label: number }[];
  /** Hash of every image's name, size and modification time. */
  signature: string;
}

function listImages(dir: string): Listing {
  const trainDir = path.join(dir, 'train');
  const classesIn = (d: string) =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  const classes = classesIn(trainDir);
  if (classes.length < 2)
    throw new GradscopeFileError(
      trainDir,
      `holds ${classes.length === 0 ? 'no class folders' : `one class folder (${classes[0]})`}; an image folder needs train/CLASS/ for at least 2 classes`,
    );
  const hash = createHash('sha256');
  const split = (name: 'train' | 'test') => {
    const out: { file: string; label: number }[] = [];
    for (const cls of classesIn(path.join(dir, name))) {
      const label = classes.indexOf(cls);
      if (label < 0)
        throw new GradscopeFileError(
          path.join(dir, name, cls),
          `is a class the training folder does not have (classes: ${classes.join(', ')})`,
        );
      for (const file of fs.readdirSync(path.join(dir, name, cls)).sort()) {
        if (!IMAGE.test(file)) continue;
        const full = path.join(dir, name, cls, file);
        const stat = fs.statSync(full);
        if (!stat.isFile()) continue;
        hash.update(`${name}/${cls}/${file}\0${stat.size}\0${stat.mtimeMs}\n`);
        out.push({ file: full, label });
      }
    }
    if (out.length === 0)
      throw new GradscopeFileError(path.join(dir, name), 'holds no .png or .jpg images');
    return out;
  };
  const train = split('train');
  const test = split('test');
  return { classes, train, test, signature: hash.digest('hex') };
}

/**
 * The decoding child: reads the job (JSON on stdin), writes raw pixels to the given file.
 * It polls its parent's pid: a parent killed with SIGKILL cannot signal it, but the kernel
 * gives an orphan a new parent at once, so within 100 ms of gradscope's death the decoder
 * exits too (simpler than a pipe whose end-of-file it would watch, and as sure; a process
 * group would need the killer to signal the group). The pixel cap is checked on each image's
 * header, before sharp decodes it (and sharp's own limitInputPixels enforces it again).
 */
const DECODER = `
const fs = require('fs');
const sharp = require('sharp');
const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const orphaned = () => process.ppid !== job.parent;
if (orphaned()) process.exit(4);
setInterval(() => { if (orphaned()) process.exit(4); }, 100).unref();
(async () => {
  let size = job.size, channels = 0;
  const out = fs.openSync(job.out, 'wx');
  for (const file of job.files) {
    // the header alone (sharp's own limit would refuse it here without saying the size)
    const meta = await sharp(file, { failOn: 'error', limitInputPixels: false }).metadata();
    const pixels = (meta.width || 0) * (meta.height || 0);
    if (pixels > job.maxPixels)
      throw new Error(file + ': ' + meta.width + ' x ' + meta.height + ' = ' + pixels + ' pixels (' + (pixels * (meta.channels || 3) / 1e6).toFixed(1) + ' MB' + ' decoded), more than the cap of ' + job.maxPixels + ' pixels (' + job.setting + '; raise it to read this image)');
    if (!channels) channels = (meta.channels === 1 || meta.channels === 2) ? 1 : 3;
    if (!size) size = [meta.width, meta.height];
    else if (!job.size && (meta.width !== size[0] || meta.height !== size[1]))
      throw new Error(file + ': ' + meta.width + 'x' + meta.height + ', but the first image is ' + size[0] + 'x' + size[1] + '; give --image-size to resize them all');
    let image = sharp(file, { failOn: 'error', limitInputPixels: job.maxPixels }).removeAlpha();
    image = channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
    if (job.size) image = image.resize(size[0], size[1], { fit: 'fill' });
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(file + ': decoded to ' + info.channels + ' channels, expected ' + channels);
    // HWC -> CHW
    const planar = Buffer.allocUnsafe(data.length);
    const hw = info.width * info.height;
    for (let p = 0; p < hw; p++) for (let c = 0; c < channels; c++) planar[c * hw + p] = data[p * channels + c];
    fs.writeSync(out, planar);
  }
  fs.closeSync(out);
  process.stdout.write(JSON.stringify({ channels, width: size[0], height: size[1] }));
})().catch((e) => { process.stderr.write(String(e && e.message || e).split('\\n')[0]); process.exit(3); });
`;

function sharpAvailable(): boolean {
  try {
    require.resolve('sharp');
    return true;
  } catch {
    return false;
  }
}

export function readImageFolder(
  dir: string,
  size: number | undefined,
): { source: ImageSource; description: string } {
  const imageSize = size ?? defaultImageSize;
  if (
    imageSize !== undefined &&
    (!Number.isSafeInteger(imageSize) || imageSize < 1 || imageSize > 4096)
  )
    throw new GradscopeInputError(
      `Expected an integer in [1, 4096] for --image-size but received ${imageSize}`,
    );
  const listing = listImages(dir);
  const cache = path.join(dir, `.gradscope-images-${imageSize ?? 'native'}.safetensors`);
  const cached = readCache(cache, listing);
  const source = cached ?? decode(dir, listing, imageSize, cache);
  const [c, h, w] = source.train.shape;
  return {
    source,
    description: `found an image folder in ${dir} (${source.train.count} train, ${source.test.count} test, ${c}x${h}x${w}, ${listing.classes.length} classes${cached ? ', decoded before' : ''}; cache ${cache})`,
  };
}

function readCache(cache: string, listing: Listing): ImageSource | undefined {
  if (!fs.existsSync(cache)) return undefined;
  let read: ReturnType<typeof readSafetensors>;
  try {
    read = readSafetensors(cache);
  } catch {
    return undefined; // damaged or foreign: decoded again and replaced
  }
  if (read.metadata.signature !== listing.signature) return undefined;
  const get = (name: string) => read.tensors.get(name);
  const xs = [get('x_train'), get('x_test')];
  const ys = [get('y_train'), get('y_test')];
  if (xs.some((x) => !(x?.data instanceof Uint8Array) || x.shape.length !== 4)) return undefined;
  if (ys.some((y) => !(y?.data instanceof Int32Array))) return undefined;
  const set = (i: number): ExampleSet => {
    const x = xs[i]!;
    return {
      pixels: x.data as Uint8Array,
      labels: ys[i]!.data as Int32Array,
      count: x.shape[0]!,
      shape: [x.shape[1]!, x.shape[2]!, x.shape[3]!],
    };
  };
  return sourceOf(listing, set(0), set(1), cache);
}

function sourceOf(
  listing: Listing,
  train: ExampleSet,
  test: ExampleSet,
  file: string,
): ImageSource {
  checkLabels(train.labels, listing.classes.length, file);
  checkLabels(test.labels, listing.classes.length, file);
  return { name: 'imagefolder', classes: listing.classes.length, train, test, files: [file] };
}

function decode(
  dir: string,
  listing: Listing,
  imageSize: number | undefined,
  cache: string,
): ImageSource {
  if (!sharpAvailable())
    throw new GradscopeFileError(
      dir,
      'is an image folder, and decoding images needs the npm package sharp (npm install sharp)',
    );
  const files = [...listing.train, ...listing.test].map((e) => e.file);
  try {
    removeStaleTemporaries(dir, false); // pixels of a decoder killed with its gradscope
  } catch {
    // a read-only data folder: its temporaries are not ours to remove
  }
  const raw = temporaryPath(`${cache}.raw`);
  const pixelCap = imagePixelCap();
  // the child finds sharp where this process does: the node_modules folder holding it
  const sharpMain = require.resolve('sharp');
  const marker = `${path.sep}node_modules${path.sep}`;
  const sharpDir = sharpMain.slice(0, sharpMain.lastIndexOf(marker) + marker.length - 1);
  try {
    const job = {
      files,
      size: imageSize ? [imageSize, imageSize] : null,
      out: raw,
      parent: process.pid,
      maxPixels: pixelCap.most,
      setting: pixelCap.setting,
    };
    const run = spawnSync(process.execPath, ['-e', DECODER], {
      input: JSON.stringify(job),
      encoding: 'utf8',
      env: {
        ...process.env,
        NODE_PATH: [sharpDir, process.env.NODE_PATH].filter(Boolean).join(path.delimiter),
      },
      maxBuffer: 1 << 20,
    });
    if (run.status !== 0)
      throw new GradscopeFileError(
        dir,
        `images could not be decoded: ${(run.stderr || run.error?.message || '').trim()}`,
      );
    const { channels, width, height } = JSON.parse(run.stdout) as Record<string, number>;
    const per = channels! * width! * height!;
    // read once into the one array both splits view: no further copy of the pixels
    const pixels = withRegularFile(raw, (opened) => {
      if (opened.size !== per * files.length)
        throw new GradscopeFileError(
          dir,
          'the decoder wrote a different number of pixels than asked',
        );
      const bytes = readAt(opened, 0, opened.size);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    });
    const split = (from: number, entries: { label: number }[]): ExampleSet => ({
      pixels: pixels.subarray(from * per, (from + entries.length) * per),
      labels: Int32Array.from(entries, (e) => e.label),
      count: entries.length,
      shape: [channels!, height!, width!],
    });
    const train = split(0, listing.train);
    const test = split(listing.train.length, listing.test);
    const source = sourceOf(listing, train, test, cache);
    try {
      writeCache(cache, listing, train, test);
    } catch {
      // a read-only data folder: decoded again next time, nothing else changes
    }
    return source;
  } finally {
    fs.rmSync(raw, { force: true });
  }
}

function writeCache(cache: string, listing: Listing, train: ExampleSet, test: ExampleSet): void {
  const tensor = (name: string, set: ExampleSet) => ({
    name,
    shape: [set.count, ...set.shape],
    data: set.pixels as Uint8Array,
  });
  writeSafetensors(
    cache,
    [
      tensor('x_train', train),
      { name: 'y_train', shape: [train.count], data: train.labels },
      tensor('x_test', test),
      { name: 'y_test', shape: [test.count], data: test.labels },
    ],
    {
      format: 'gradscope-image-cache-1',
      signature: listing.signature,
      classes: JSON.stringify(listing.classes),
    },
    { checksums: true },
  );
}
