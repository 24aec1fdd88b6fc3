/**
 * Saves a figure as NAME.svg (for papers: vector, editable) and NAME.png (for reading at a
 * glance) in a folder, each written atomically so a viewer or a concurrent run never sees a
 * half-written image. The PNG is rendered first: an SVG that cannot be rendered is
 * rejected before either file is touched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';
import { expected } from '../core/errors';
import { svgToPng, type PngOptions } from './png';

export interface FigureFiles {
  svg: string;
  png: string;
}

export function writeFigure(
  dir: string,
  name: string,
  svg: string,
  options: PngOptions = {},
): FigureFiles {
  if (typeof name !== 'string' || !/^[\w.+=-]+$/.test(name) || /^\.+$/.test(name))
    throw expected('a file name of letters, digits and . _ - + =', 'figure name', name);
  const png = svgToPng(svg, options);
  fs.mkdirSync(dir, { recursive: true });
  const files = { svg: path.join(dir, `${name}.svg`), png: path.join(dir, `${name}.png`) };
  writeFileAtomic(files.svg, svg);
  writeFileAtomic(files.png, png);
  return files;
}
