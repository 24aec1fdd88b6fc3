/**
 * Figures live in report.html: each figure's static SVG (vega-lite.ts) stands in a
 * `div.vega-figure` beside its Vega-Lite spec, and a script at the end of the page, with the
 * vega, vega-lite and vega-embed builds from node_modules inlined, replaces it by the live
 * figure (tooltips on hover, legend toggles, pan and zoom). The page stays one file that
 * loads nothing; without scripts the static figure stays.
 */
import * as fs from 'fs';
import * as path from 'path';
import { specOfSvg } from './vega-lite';

/** The browser builds, beside each package's main file (vega-embed exports no subpaths). */
const BUILDS: [string, string][] = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
];

/** JSON or script text made safe inside a <script> element. */
const scriptSafe = (s: string): string =>
  s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');

/** The body of a figure: live when its SVG carries a spec, the SVG as it is otherwise. */
export function interactiveFigure(svg: string): string {
  const spec = specOfSvg(svg);
  if (!spec) return svg;
  const bare = svg.replace(/<metadata class="vega-lite">[\s\S]*?<\/metadata>/, '');
  return `<div class="vega-figure">${bare}</div><script type="application/json" class="vega-spec">${scriptSafe(JSON.stringify(spec))}</script>`;
}

let libraries: string | undefined;

/** The inlined libraries and the script that brings every figure of the page to life. */
export function interactiveScripts(): string {
  libraries ??= BUILDS.map(([pkg, build]) => {
    const file = path.join(path.dirname(require.resolve(pkg)), build);
    return `<script>${scriptSafe(fs.readFileSync(file, 'utf8'))}</script>`;
  }).join('\n');
  return `${libraries}
<script>
(function () {
  document.querySelectorAll('div.vega-figure').forEach(function (el) {
    var source = el.nextElementSibling;
    if (!source || !source.classList.contains('vega-spec')) return;
    var spec = JSON.parse(source.textContent);
    vegaEmbed(el, spec, { renderer: 'svg', actions: false, logLevel: vega.Error }).catch(function (e) {
      console.error('figure: ' + e.message);
    });
  });
})();
</script>`;
}
