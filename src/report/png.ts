/**
 * SVG to PNG with resvg (@resvg/resvg-js: a Rust renderer shipped as prebuilt binaries,
 * no browser, no network). Text is drawn with the system's fonts found through the usual
 * font directories; the charts name DejaVu Sans first, which is also the fallback family,
 * so labels render on a bare Debian with fonts-dejavu-core. resvg parses the SVG as strict
 * XML, so a malformed chart fails here, loudly, rather than rendering half a picture.
 */
import { Resvg } from '@resvg/resvg-js';
import { GradscopeInputError } from '../core/errors';

export interface PngOptions {
  /** Pixels per SVG unit; 2 (the default) gives a sharp image for print and retina screens. */
  scale?: number;
}

export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new GradscopeInputError(`Expected a positive number for scale but received ${scale}`);
  let renderer: Resvg;
  try {
    renderer = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: scale },
      font: {
        loadSystemFonts: true,
        defaultFontFamily: 'DejaVu Sans',
        sansSerifFamily: 'DejaVu Sans',
      },
    });
  } catch (error) {
    throw new GradscopeInputError(`cannot render SVG: ${(error as Error).message}`);
  }
  return renderer.render().asPng();
}
