/**
 * Figures from a declarative grammar: every chart is a Vega-Lite spec, rendered here to a
 * static SVG string (Vega's own SVG renderer, in Node, no canvas, no browser) for
 * figures/ and its PNG, and embedded live in report.html (vega-embed: tooltips, legend
 * toggles, zoom).
 *
 * The static SVG carries its spec in a <metadata> element, so whatever holds a figure's
 * SVG string can also embed it interactively (study-report.ts's `figure`): the chart
 * functions keep returning strings, and every figure built on them becomes interactive.
 *
 * Rendering is synchronous: the specs hold their data inline, so one run of the dataflow
 * lays out the scene, which the SVG string renderer draws as View.toSVG() does.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

/** Looks shared by every figure: the font the PNG renderer finds, a white background. */
export const FIGURE_CONFIG = {
  font: 'DejaVu Sans',
  background: 'white',
  padding: 8,
  title: { fontSize: 15, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12.5, gridColor: '#e3e3e3' },
  legend: {
    labelFontSize: 12,
    orient: 'top',
    direction: 'horizontal',
    columns: 3,
    labelLimit: 220,
    title: null,
  },
  // a null or non-finite value breaks a line, as a gap in the data should
  mark: { invalid: 'break-paths-filter-domains' },
} as const;

/** The Vega-Lite schema every figure's spec names. */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The top of a single-view figure's spec: schema, title, and a size that includes the padding. */
export function vegaLiteHeader(
  title: string,
  width: number,
  height: number,
): {
  $schema: string;
  title: string;
  width: number;
  height: number;
  autosize: { type: 'fit'; contains: 'padding' };
} {
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
  };
}

/** Vega-Lite's logger, silenced: a figure's notes are not the command's output. */
const QUIET = {
  level(): never {
    return QUIET as never;
  },
  info: () => QUIET,
  warn: () => QUIET,
  debug: () => QUIET,
  error: (...args: unknown[]) => {
    throw new Error(`Vega-Lite: ${args.join(' ')}`);
  },
};

const METADATA = /<metadata class="vega-lite">([\s\S]*?)<\/metadata>/;

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const unescapeXml = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

interface HeadlessView {
  run(): unknown;
  padding(): { left: number; right: number; top: number; bottom: number };
  background(): string;
  loader(): unknown;
  scenegraph(): { root: unknown };
  _viewWidth: number;
  _viewHeight: number;
  _origin: [number, number];
}

interface StringRenderer {
  initialize(
    el: null,
    width: number,
    height: number,
    origin: [number, number],
    scaleFactor: number,
    options: object,
  ): StringRenderer;
  background(color: string): StringRenderer;
  render(scene: unknown): StringRenderer;
  svg(): string;
}

let drawing = true;

/**
 * Runs `build` with figures as specs only: each "SVG" is an empty one of the spec's size
 * carrying its spec, for a page that draws its figures live anyway (`gradscope serve`,
 * which renders the report at every change and must stay quick).
 */
export function specsOnly<T>(build: () => T): T {
  const before = drawing;
  drawing = false;
  try {
    return build();
  } finally {
    drawing = before;
  }
}

/** The static SVG of a Vega-Lite spec, with the spec inside it. */
export function vegaLiteSvg(spec: VegaLiteSpec): string {
  const full = { ...spec, config: { ...FIGURE_CONFIG, ...(spec.config ?? {}) } } as VegaLiteSpec;
  if (!drawing) {
    const size = spec as { width?: unknown; height?: unknown };
    const w = typeof size.width === 'number' ? size.width : 720;
    const h = typeof size.height === 'number' ? size.height : 460;
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><metadata class="vega-lite">${escapeXml(JSON.stringify(full))}</metadata></svg>`;
  }
  const view = new vega.View(vega.parse(compile(full, { logger: QUIET }).spec), {
    renderer: 'none',
  }) as unknown as HeadlessView;
  view.run();
  const p = view.padding();
  const Renderer = (
    vega as unknown as { SVGStringRenderer: new (loader: unknown) => StringRenderer }
  ).SVGStringRenderer;
  const svg = new Renderer(view.loader())
    .initialize(
      null,
      Math.max(0, view._viewWidth + p.left + p.right),
      Math.max(0, view._viewHeight + p.top + p.bottom),
      [p.left + view._origin[0], p.top + view._origin[1]],
      1,
      {},
    )
    .background(view.background())
    .render(view.scenegraph().root)
    .svg();
  const open = svg.indexOf('>') + 1;
  return `${svg.slice(0, open)}<metadata class="vega-lite">${escapeXml(JSON.stringify(full))}</metadata>${svg.slice(open)}`;
}

/** The Vega-Lite spec inside a figure's SVG, if it has one. */
export function specOfSvg(svg: string): VegaLiteSpec | undefined {
  const m = METADATA.exec(svg);
  return m ? (JSON.parse(unescapeXml(m[1]!)) as VegaLiteSpec) : undefined;
}
